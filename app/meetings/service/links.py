"""What the other features read of meetings through the hooks: the meetings to choose from
(a decision taken in one) and the meetings of an item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from app.core import clock, hooks
from app.extensions import db
from app.issues.models import Issue
from app.meetings.models import CANCELLED, ActionItem, AgendaItem, Meeting


def meeting_choices(
    task_force_id: int, start: date | None, end: date | None, ids=()
) -> list[hooks.MeetingChoice]:
    """The meetings not cancelled from ``start`` to ``end`` (and those of ``ids``, whatever
    their day; no window when ``start`` is None), by time: one query."""
    ids = [int(i) for i in ids or () if i is not None]
    which = Meeting.id.in_(ids)
    if start is not None and end is not None:
        window = and_(
            Meeting.starts_at >= clock.start_of_day(start),
            Meeting.starts_at < clock.start_of_day(end + timedelta(days=1)),
        )
        which = or_(window, which) if ids else window
    elif not ids:
        return []
    rows = db.session.scalars(
        select(Meeting)
        .where(Meeting.task_force_id == task_force_id, Meeting.status != CANCELLED, which)
        .options(joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [
        hooks.MeetingChoice(
            id=m.id,
            label=f"{m.title} · {m.counterpart_name}" if m.counterpart_name else m.title,
            day=clock.local_date(m.starts_at),
            kind=m.kind,
            status=m.status,
        )
        for m in rows
    ]


@dataclass
class IssueMeeting:
    """A meeting that had an item on its agenda or gave action items about it."""

    meeting: Meeting
    lines: list[AgendaItem] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)


def meetings_of_issue(issue: Issue, limit: int = 60) -> list[IssueMeeting]:
    """The meetings where ``issue`` was on the agenda and the action items of meetings
    linked to it (made a subtask of it, or an item of their own), latest first: one query."""
    stmt = (
        select(Meeting, AgendaItem, ActionItem)
        .outerjoin(
            AgendaItem,
            and_(
                AgendaItem.meeting_id == Meeting.id,
                AgendaItem.subject_type == "issue",
                AgendaItem.subject_id == issue.id,
            ),
        )
        .outerjoin(
            ActionItem, and_(ActionItem.meeting_id == Meeting.id, ActionItem.issue_id == issue.id)
        )
        .where(
            Meeting.task_force_id == issue.task_force_id,
            or_(AgendaItem.id.is_not(None), ActionItem.id.is_not(None)),
        )
        # An action's item is ``issue`` itself (the join names it): already loaded.
        .options(joinedload(ActionItem.owner), joinedload(ActionItem.subtask))
        .order_by(Meeting.starts_at.desc(), Meeting.id, AgendaItem.position, ActionItem.id)
        .limit(limit)
    )
    found: dict[int, IssueMeeting] = {}
    for meeting, line, action in db.session.execute(stmt).unique():
        row = found.setdefault(meeting.id, IssueMeeting(meeting))
        if line is not None and line not in row.lines:
            row.lines.append(line)
        if action is not None and action not in row.actions:
            row.actions.append(action)
    return list(found.values())
