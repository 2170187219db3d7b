"""One meeting: reading it (with the one before it in its series), moving and cancelling
it, and who may run it: the chair and the leaders (``meeting.run``).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition, NotFound
from app.core.permissions import authorize
from app.core.scope import get_in_scope
from app.extensions import db
from app.meetings.models import CANCELLED, HELD, PLANNED, PUBLISHED, Meeting
from app.people.models import User


def _get(model, ident):
    return get_in_scope(db.session, model, ident)


def is_future(meeting: Meeting) -> bool:
    """Whether ``meeting`` has not started yet: the one comparison of a meeting's time with
    now that the rules make (marking held, publishing). Both are instants."""
    return meeting.starts_at > clock.now()


def _require_run(actor: User, meeting: Meeting) -> None:
    """The chair and the leaders edit a meeting's agenda, attendance and minutes
    (``meeting.run`` in the permission table)."""
    authorize(
        actor,
        "meeting.run",
        meeting,
        message=_("Only the chair or the leaders may change this meeting."),
    )


def get_meeting(meeting_id) -> Meeting:
    return _get(Meeting, meeting_id)


def load_meeting(actor: User, meeting_id, with_agenda: bool = False) -> Meeting:
    """The meeting, the one before it in its series and (``with_agenda``) its agenda items,
    in one query: the meeting's page shows them all."""
    try:
        ident = int(meeting_id)
    except (TypeError, ValueError):
        raise NotFound("meeting not found") from None
    before = aliased(Meeting)
    previous_id = (
        select(before.id)
        .where(
            before.series_id == Meeting.series_id,
            before.starts_at < Meeting.starts_at,
            before.status.in_((HELD, PUBLISHED)),
        )
        .order_by(before.starts_at.desc())
        .limit(1)
        .correlate(Meeting)
        .scalar_subquery()
    )
    previous = aliased(Meeting)
    options = [
        joinedload(Meeting.series),
        joinedload(Meeting.chair),
        joinedload(Meeting.counterpart_user),
        joinedload(Meeting.counterpart_unit),
    ]
    if with_agenda:
        options.append(joinedload(Meeting.agenda_items))
    row = (
        db.session.execute(
            select(Meeting, previous)
            .outerjoin(previous, previous.id == previous_id)
            .where(Meeting.id == ident)
            .options(*options)
        )
        .unique()
        .one_or_none()
    )
    if row is None:
        raise NotFound("meeting not found")
    meeting, meeting._previous = row
    authorize(actor, "meeting.view", meeting.task_force_id)
    return meeting


def move_meeting(
    actor: User, meeting: Meeting, starts_at: datetime, place: str | None = None
) -> None:
    """Move one occurrence (a public holiday, the leader away) without touching the series."""
    authorize(actor, "meeting.manage", meeting.task_force_id)
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be moved."))
    values = {"starts_at": starts_at}
    if place is not None:
        values["place"] = place.strip()
    changes = audit.apply_changes(meeting, values)
    if changes:
        meeting.ical_sequence += 1
        audit.record(actor, "moved", meeting, changes, summary=meeting.title)


def cancel_meeting(actor: User, meeting: Meeting) -> None:
    authorize(actor, "meeting.manage", meeting.task_force_id)
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be cancelled."))
    meeting.status = CANCELLED
    meeting.ical_sequence += 1
    audit.record(
        actor, "cancelled", meeting, {"status": [PLANNED, CANCELLED]}, summary=meeting.title
    )


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The last meeting of the same series that took place before this one."""
    if "_previous" in vars(meeting):  # read along with the meeting by load_meeting
        return meeting._previous
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.series_id == meeting.series_id,
            Meeting.starts_at < meeting.starts_at,
            Meeting.status.in_((HELD, PUBLISHED)),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    ).first()


def _require_unlocked(meeting: Meeting) -> None:
    if meeting.status == CANCELLED:
        raise InvalidTransition(_("This meeting was cancelled."))
