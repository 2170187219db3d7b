"""What a person follows: the one place the personal feed asks.

Today a person follows the items they own or work on as a collaborator, the escalations
of those items, and the meetings they chair or are invited to. Explicit following (关注)
adds its rows here: a union of its table's ids into the kinds it covers, and nothing
else of the feed changes.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select, union

from app.decisions.models import Escalation
from app.issues.models import Issue, issue_collaborator
from app.meetings.models import Attendance, Meeting


def followed_targets(user_id: int) -> dict[str, Select]:
    """Per record kind (an audit event's ``entity_type``), the ids ``user_id`` follows,
    as a subquery (any task force: the caller says which it shows)."""
    items = select(Issue.id).where(
        or_(
            Issue.owner_id == user_id,
            Issue.id.in_(
                select(issue_collaborator.c.issue_id).where(issue_collaborator.c.user_id == user_id)
            ),
        )
    )
    escalations = select(Escalation.id).where(Escalation.issue_id.in_(items))
    meetings = union(
        select(Attendance.meeting_id).where(Attendance.user_id == user_id),
        select(Meeting.id).where(Meeting.chair_id == user_id),
    )
    return {
        "issue": items,
        "escalation": escalations,
        "meeting": select(meetings.subquery().c[0]),
    }
