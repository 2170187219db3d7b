"""The reminders about meetings: a meeting tomorrow (attendees and chair), minutes not
published after it (the chair, daily), and the meetings of the week in Monday's digest.
``init_app`` registers them (``core/reminders.py``); ``notify`` runs them."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, union

from app.core import clock
from app.core.i18n import gettext as _
from app.core.i18n import local_stamp
from app.core.reminders import DigestSection, Rule, RuleContext, as_datetime, week_of
from app.extensions import db
from app.meetings.models import CANCELLED, HELD, PLANNED, Attendance, Meeting


def _meeting_columns():
    return (
        Meeting.task_force_id,
        Meeting.id.label("subject_id"),
        Meeting.title,
        Meeting.starts_at,
        Meeting.place,
    )


# --- a meeting tomorrow --------------------------------------------------------------------


def _meeting_tomorrow(ctx: RuleContext) -> Select:
    tomorrow = ctx.today + timedelta(days=1)
    planned = (
        Meeting.status == PLANNED,
        Meeting.starts_at >= clock.start_of_day(tomorrow),
        Meeting.starts_at < clock.start_of_day(tomorrow + timedelta(days=1)),
    )
    attendees = (
        select(Attendance.user_id.label("recipient_id"), *_meeting_columns())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(*planned)
    )
    chairs = select(Meeting.chair_id.label("recipient_id"), *_meeting_columns()).where(*planned)
    # UNION, not UNION ALL: the chair is usually an attendee as well.
    return union(attendees, chairs)


def _meeting_tomorrow_key(row, ctx: RuleContext) -> str:
    # The meeting's day is part of the key: a meeting moved to another day is announced again.
    starts = clock.local(as_datetime(row.starts_at))
    return f"meeting_tomorrow:{row.subject_id}:{row.recipient_id}:{starts.date().isoformat()}"


def _meeting_tomorrow_text(row, ctx: RuleContext, extra) -> str:
    starts = clock.local(as_datetime(row.starts_at))
    if row.place:
        return _(
            "Meeting tomorrow: %(title)s on %(day)s at %(time)s, %(place)s. "
            "See the agenda before it.",
            title=row.title,
            day=starts.date().isoformat(),
            time=starts.strftime("%H:%M"),
            place=row.place,
        )
    return _(
        "Meeting tomorrow: %(title)s on %(day)s at %(time)s. See the agenda before it.",
        title=row.title,
        day=starts.date().isoformat(),
        time=starts.strftime("%H:%M"),
    )


# --- minutes not published -----------------------------------------------------------------


def _minutes_unpublished(ctx: RuleContext) -> Select:
    # Held, or its day passed without being marked held: the chair publishes the minutes
    # from the day after the meeting on.
    return select(Meeting.chair_id.label("recipient_id"), *_meeting_columns()).where(
        Meeting.status.in_((PLANNED, HELD)),
        Meeting.starts_at < clock.start_of_day(ctx.today),
    )


def _minutes_unpublished_text(row, ctx: RuleContext, extra) -> str:
    starts = clock.local(as_datetime(row.starts_at))
    return _(
        "The minutes of %(title)s on %(day)s are not published yet. Record them and publish them.",
        title=row.title,
        day=starts.date().isoformat(),
    )


RULES: list[Rule] = [
    Rule(
        name="meeting_tomorrow",
        label=_l("Meeting tomorrow (attendees and chair)"),
        subject_type="meeting",
        targets=_meeting_tomorrow,
        key=_meeting_tomorrow_key,
        message=_meeting_tomorrow_text,
        link=lambda row: f"/meetings/{row.subject_id}#agenda",
        mandatory=False,
        order=90,
    ),
    Rule(
        name="minutes_unpublished",
        label=_l("Minutes not published after the meeting (chair, daily)"),
        subject_type="meeting",
        targets=_minutes_unpublished,
        key=lambda row, ctx: (
            f"minutes_unpublished:{row.subject_id}:{row.recipient_id}:{ctx.today.isoformat()}"
        ),
        message=_minutes_unpublished_text,
        link=lambda row: f"/meetings/{row.subject_id}",
        order=100,
    ),
]


# --- the weekly digest's "meetings this week" ------------------------------------------------


def _meetings_this_week_lines(ctx: RuleContext, task_force_ids: list[int]) -> dict[int, list[str]]:
    """Meetings (not cancelled) of the week, per task force, in order: one query."""
    monday, sunday = week_of(ctx.today)
    rows = db.session.execute(
        select(Meeting.task_force_id, Meeting.starts_at, Meeting.title)
        .where(
            Meeting.task_force_id.in_(task_force_ids),
            Meeting.status != CANCELLED,
            Meeting.starts_at >= clock.start_of_day(monday),
            Meeting.starts_at < clock.start_of_day(sunday + timedelta(days=1)),
        )
        .order_by(Meeting.task_force_id, Meeting.starts_at, Meeting.id)
    ).all()
    lines: dict[int, list[str]] = {}
    for row in rows:
        lines.setdefault(row.task_force_id, []).append(
            f"{local_stamp(as_datetime(row.starts_at))} {row.title}"
        )
    return lines


MEETINGS_THIS_WEEK = DigestSection(_l("Meetings this week"), _meetings_this_week_lines)
