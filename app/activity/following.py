"""What a person follows: the one place the personal feed asks.

A person follows what they take part in — the items they own or work on as a
collaborator and those items' escalations, the escalations they raised, the pilots they
own, the meetings they chair or are invited to — and whatever they chose to follow
(关注, `discussion`'s ``follow`` rows, commenters and mentioned people included), less
what they stopped following (which sticks).
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select, union

from app.decisions.models import Escalation
from app.discussion.models import Follow
from app.issues.models import Issue, issue_collaborator
from app.meetings.models import Attendance, Meeting
from app.pilots.models import Pilot


def _chosen(kind: str, user_id: int, following: bool) -> Select:
    return select(Follow.target_id).where(
        Follow.user_id == user_id, Follow.target_kind == kind, Follow.following.is_(following)
    )


def _followed(kind: str, user_id: int, id_column, *taking_part) -> Select:
    """Ids of ``kind`` the person takes part in or chose, less those they stopped."""
    return select(id_column).where(
        and_(
            or_(*taking_part, id_column.in_(_chosen(kind, user_id, True))),
            id_column.not_in(_chosen(kind, user_id, False)),
        )
    )


def followed_targets(user_id: int) -> dict[str, Select]:
    """Per record kind (an audit event's ``entity_type``), the ids ``user_id`` follows,
    as a subquery (any task force: the caller says which it shows)."""
    items = _followed(
        "issue",
        user_id,
        Issue.id,
        Issue.owner_id == user_id,
        Issue.id.in_(
            select(issue_collaborator.c.issue_id).where(issue_collaborator.c.user_id == user_id)
        ),
    )
    escalations = _followed(
        "escalation",
        user_id,
        Escalation.id,
        Escalation.issue_id.in_(items),
        Escalation.raised_by_id == user_id,
    )
    attended = union(
        select(Attendance.meeting_id).where(Attendance.user_id == user_id),
        select(Meeting.id).where(Meeting.chair_id == user_id),
    ).subquery()
    meetings = _followed("meeting", user_id, Meeting.id, Meeting.id.in_(select(attended.c[0])))
    pilots = _followed("pilot", user_id, Pilot.id, Pilot.owner_id == user_id)
    return {"issue": items, "escalation": escalations, "meeting": meetings, "pilot": pilots}
