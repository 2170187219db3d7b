"""During and after a meeting: attendance, the minutes per agenda item and the decisions,
marking it held and publishing the minutes to the attendees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import ConfirmationRequired, InvalidTransition, ValidationFailed
from app.core.i18n import format_clock
from app.core.outbox import notify
from app.core.service import check_version
from app.extensions import db
from app.meetings.models import ATTENDANCE, HELD, PLANNED, PUBLISHED, Attendance, Meeting
from app.meetings.service.agenda import agenda_items
from app.meetings.service.occurrences import _require_run, _require_unlocked, is_future
from app.people.models import User


def attendance(meeting: Meeting) -> list[Attendance]:
    return list(
        db.session.scalars(
            select(Attendance)
            .where(Attendance.meeting_id == meeting.id)
            .options(joinedload(Attendance.user))
            .order_by(Attendance.user_id)
        )
    )


def _require_attendance_open(actor: User, meeting: Meeting) -> None:
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if meeting.locked:
        raise InvalidTransition(_("The minutes are published and locked."))


def _apply_attendance(
    actor: User, meeting: Meeting, statuses: dict[int, str | None], rows: list[Attendance]
) -> dict:
    """Set the statuses that differ, audited; the boundary commits. Nothing differs:
    nothing is checked."""
    changes = {}
    for row in rows:
        if row.user_id not in statuses:
            continue
        value = statuses[row.user_id] or None
        if value is not None and value not in ATTENDANCE:
            raise ValidationFailed(_("Unknown attendance."))
        if row.status != value:
            changes[str(row.user_id)] = [row.status, value]
    if changes:
        _require_attendance_open(actor, meeting)
        for row in rows:
            if str(row.user_id) in changes:
                row.status = changes[str(row.user_id)][1]
        audit.record(actor, "attendance", meeting, changes, summary=meeting.title)
    return changes


def record_attendance(actor: User, meeting: Meeting, statuses: dict[int, str | None]) -> None:
    """Set attendance per invited person: present, late, excused, absent (or not yet)."""
    _require_attendance_open(actor, meeting)
    _apply_attendance(actor, meeting, statuses, attendance(meeting))


def mark_all_present(actor: User, meeting: Meeting) -> int:
    """Everyone invited whose attendance is not recorded yet came ("all present" in one
    click; the exceptions are set one by one). Returns how many were marked."""
    _require_attendance_open(actor, meeting)
    rows = attendance(meeting)
    marked = _apply_attendance(
        actor, meeting, {row.user_id: "present" for row in rows if row.status is None}, rows
    )
    return len(marked)


def _apply_minutes(
    actor: User,
    meeting: Meeting,
    minutes: dict[int, str],
    decisions: str | None,
    version: int | None,
) -> dict:
    """Write the minutes and decisions that differ, audited; the boundary commits."""
    items = agenda_items(meeting)
    texts = {
        item.id: (minutes[item.id] or "").strip()
        for item in items
        if item.id in minutes and (minutes[item.id] or "").strip() != item.minutes
    }
    decided = decisions.strip() if decisions is not None else None
    if not texts and decided in (None, meeting.decisions):
        return {}
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    check_version(meeting, version)
    changes = {}
    for item in items:
        if item.id in texts:
            changes[f"minutes:{item.id}"] = [item.minutes, texts[item.id]]
            item.minutes = texts[item.id]
    if decided is not None:
        changes.update(audit.apply_changes(meeting, {"decisions": decided}))
    meeting.updated_at = clock.now()
    action = "minutes_corrected" if meeting.locked else "minutes"
    audit.record(actor, action, meeting, changes, summary=meeting.title)
    return changes


def save_minutes(
    actor: User,
    meeting: Meeting,
    minutes: dict[int, str],
    decisions: str | None = None,
    version: int | None = None,
) -> dict:
    """Write the minutes per agenda item and the decisions.

    After publishing, the minutes are locked: a change is a correction, recorded in the
    history with the old and the new text.

    :raise StaleEdit: when someone saved the meeting after ``version`` was read.
    """
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    check_version(meeting, version)
    changes = _apply_minutes(actor, meeting, minutes, decisions, version)
    return changes


@dataclass
class TypedRecord:
    """What the secretary typed on the meeting's page (minutes per agenda item, decisions,
    attendance) and the meeting's version when the page was opened. The page is one form:
    every action on it carries this along."""

    minutes: dict[int, str] = field(default_factory=dict)
    decisions: str | None = None
    attendance: dict[int, str | None] = field(default_factory=dict)
    version: int | None = None


def keep_typed(actor: User, meeting: Meeting, typed: TypedRecord) -> dict:
    """Save what was typed on the meeting's page before another action on it runs, so that
    no action loses unsaved minutes. What equals the saved record is not checked again
    (an attendee ticking their action item carries nothing). Returns the changes.

    :raise StaleEdit: when the minutes changed since the page was opened; nothing is saved.
    """
    changes = _apply_minutes(actor, meeting, typed.minutes, typed.decisions, typed.version)
    if typed.attendance:
        changes.update(_apply_attendance(actor, meeting, typed.attendance, attendance(meeting)))
    return changes


def mark_held(actor: User, meeting: Meeting, confirmed: bool = False) -> None:
    """:raise ConfirmationRequired: for a meeting that has not started yet, unless
    ``confirmed``."""
    _require_run(actor, meeting)
    if meeting.status != PLANNED:
        raise InvalidTransition(_("Only a planned meeting can be marked as held."))
    if is_future(meeting) and not confirmed:
        raise ConfirmationRequired(
            _(
                "This meeting is on %(day)s at %(time)s and has not started yet. "
                "Mark it as held anyway?",
                day=clock.local_date(meeting.starts_at).isoformat(),
                time=format_clock(meeting.starts_at),
            )
        )
    meeting.status = HELD
    meeting.held_at = clock.now()
    audit.record(actor, "held", meeting, {"status": [PLANNED, HELD]}, summary=meeting.title)


def publish_minutes(actor: User, meeting: Meeting, confirmed: bool = False) -> int:
    """Publish and lock the minutes; tell every attendee, in their language.

    Returns how many people were told.

    :raise ConfirmationRequired: for a meeting that has not started yet, unless
        ``confirmed``.
    """
    _require_run(actor, meeting)
    if meeting.status != HELD:
        raise InvalidTransition(_("Mark the meeting as held before publishing its minutes."))
    if is_future(meeting) and not confirmed:
        raise ConfirmationRequired(
            _(
                "This meeting is on %(day)s at %(time)s and has not started yet. "
                "Publish its minutes to the attendees anyway?",
                day=clock.local_date(meeting.starts_at).isoformat(),
                time=format_clock(meeting.starts_at),
            )
        )
    meeting.status = PUBLISHED
    meeting.published_at = clock.now()
    audit.record(actor, "published", meeting, {"status": [HELD, PUBLISHED]}, summary=meeting.title)
    recipients = [row.user for row in attendance(meeting) if row.user_id != actor.id]
    day = clock.local_date(meeting.starts_at)
    for user in recipients:
        with force_locale(user.locale):
            text = _(
                "The minutes of %(title)s on %(day)s are published.",
                title=meeting.title,
                day=day.isoformat(),
            )
        notify(
            user.id,
            "minutes",
            text,
            unique_key=f"minutes:{meeting.id}:{user.id}",
            link=f"/meetings/{meeting.id}",
            subject=meeting,
            task_force_id=meeting.task_force_id,
        )
    return len(recipients)
