"""Series of meetings and their recurrence: the rule (weekly, monthly, quarterly or a custom
RRULE), the occurrences planned ahead, and a series' changes carried over to the meetings
to come.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil import rrule
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import ValidationFailed
from app.core.forms import WEB_LINK_MESSAGE, is_web_link
from app.core.permissions import authorize
from app.core.service import check_version
from app.extensions import db
from app.meetings.models import (
    CADENCES,
    KINDS,
    ONE_ON_ONE,
    PLANNED,
    Attendance,
    Meeting,
    MeetingSeries,
)
from app.meetings.service.occurrences import _get
from app.people import roster
from app.people.models import User

PLAN_AHEAD = 8


def _monthly(start: date, interval: int) -> rrule.rrule:
    # The 29th, 30th or 31st falls on the month's last day when the month is shorter.
    day = start.day
    if day <= 28:
        return rrule.rrule(rrule.MONTHLY, interval=interval, dtstart=start, bymonthday=day)
    return rrule.rrule(
        rrule.MONTHLY,
        interval=interval,
        dtstart=start,
        bymonthday=tuple(range(28, day + 1)),
        bysetpos=-1,
    )


def recurrence(cadence: str, starts_on: date, rule: str = ""):
    """The series' rule as a dateutil rrule (dates at midnight).

    :raise ValidationFailed: on an unknown cadence or a custom rule that does not parse.
    """
    start = datetime.combine(starts_on, time())  # dateutil counts in naive calendar days
    if cadence == "weekly":
        return rrule.rrule(rrule.WEEKLY, dtstart=start)
    if cadence == "monthly":
        return _monthly(start, 1)
    if cadence == "quarterly":
        return _monthly(start, 3)
    if cadence == "custom":
        text = (rule or "").strip()
        if text.upper().startswith("RRULE:"):
            text = text[6:]
        if not text or "\n" in text:
            raise ValidationFailed(
                _("Write a recurrence rule, e.g. FREQ=MONTHLY;BYDAY=-1FR."), "rrule"
            )
        try:
            return rrule.rrulestr(text, dtstart=start)
        except (ValueError, TypeError):
            raise ValidationFailed(_("This recurrence rule is not valid."), "rrule") from None
    raise ValidationFailed(_("Unknown cadence."), "cadence")


def occurrence_days(series: MeetingSeries, until: date, ahead: int = 0) -> list[date]:
    """Every day the rule gives up to ``until``, then ``ahead`` more after it."""
    days: list[date] = []
    extra = 0
    for moment in recurrence(series.cadence, series.starts_on, series.rrule):
        day = moment.date()
        if day > until:
            if extra >= ahead:
                break
            extra += 1
        days.append(day)
        if len(days) > 2000:  # a rule firing daily for years: stop somewhere sane
            break
    return days


def _start_time(series: MeetingSeries) -> time:
    hour, minute = (int(part) for part in series.start_time.split(":"))
    return time(hour, minute)


def _counterpart(series: MeetingSeries, number: int) -> tuple[int | None, int | None]:
    if series.kind != ONE_ON_ONE or not series.counterparts:
        return None, None
    entry = series.counterparts[(number - 1) % len(series.counterparts)]
    return entry.get("user"), entry.get("unit")


def plan_occurrences(series: MeetingSeries, ahead: int = PLAN_AHEAD) -> list[Meeting]:
    """Add the occurrences not planned yet: every past one and ``ahead`` to come.

    A moved or cancelled occurrence keeps its ``scheduled_on`` day, so planning again
    never brings it back. The caller's boundary commits.
    """
    existing = {
        day: number
        for day, number in db.session.execute(
            select(Meeting.scheduled_on, Meeting.number).where(Meeting.series_id == series.id)
        )
    }
    added = []
    at = _start_time(series)
    for number, day in enumerate(occurrence_days(series, clock.today(), ahead), start=1):
        if day in existing:
            continue
        user_id, unit_id = _counterpart(series, number)
        meeting = Meeting(
            task_force_id=series.task_force_id,
            series_id=series.id,
            number=number,
            title=series.name,
            kind=series.kind,
            scheduled_on=day,
            starts_at=clock.at(day, at),
            duration_minutes=series.duration_minutes,
            place=series.place,
            online_link=series.online_link,
            status=PLANNED,
            chair_id=series.chair_id,
            counterpart_user_id=user_id,
            counterpart_unit_id=unit_id,
        )
        db.session.add(meeting)
        added.append(meeting)
    db.session.flush()
    attendees = set(series.attendee_ids or []) | {series.chair_id}
    for meeting in added:
        invited = set(attendees)
        if meeting.counterpart_user_id:
            invited.add(meeting.counterpart_user_id)
        for user_id in sorted(invited):
            db.session.add(
                Attendance(
                    task_force_id=series.task_force_id, meeting_id=meeting.id, user_id=user_id
                )
            )
    return added


@dataclass
class SeriesInput:
    name: str
    kind: str
    cadence: str
    starts_on: date
    chair_id: int
    start_time: str = "09:30"
    duration_minutes: int = 60
    rrule: str = ""
    place: str = ""
    online_link: str = ""
    agenda_template: str = ""
    attendee_ids: list[int] = field(default_factory=list)
    counterpart_user_ids: list[int] = field(default_factory=list)
    counterpart_unit_ids: list[int] = field(default_factory=list)


def _check_series(task_force_id: int, data: SeriesInput) -> None:
    if data.online_link.strip() and not is_web_link(data.online_link.strip()):
        raise ValidationFailed(str(WEB_LINK_MESSAGE), "online_link")
    if data.kind not in KINDS:
        raise ValidationFailed(_("Unknown kind of meeting."), "kind")
    if data.cadence not in CADENCES:
        raise ValidationFailed(_("Unknown cadence."), "cadence")
    recurrence(data.cadence, data.starts_on, data.rrule)
    try:
        hour, minute = (int(p) for p in data.start_time.split(":"))
        time(hour, minute)
    except (ValueError, TypeError):
        raise ValidationFailed(_("Write the time as HH:MM."), "start_time") from None
    members = roster.active_member_ids(task_force_id)
    if data.chair_id not in members:
        raise ValidationFailed(_("The chair must be on the task force's roster."), "chair_id")
    if any(uid not in members for uid in data.attendee_ids):
        raise ValidationFailed(_("Attendees must be on the task force's roster."), "attendee_ids")
    if any(uid not in members for uid in data.counterpart_user_ids):
        raise ValidationFailed(
            _("Counterparts must be on the task force's roster."), "counterpart_user_ids"
        )


def create_series(actor: User, task_force_id: int, data: SeriesInput) -> MeetingSeries:
    authorize(actor, "meeting.manage", task_force_id)
    _check_series(task_force_id, data)
    series = MeetingSeries(
        task_force_id=task_force_id,
        name=data.name.strip(),
        kind=data.kind,
        cadence=data.cadence,
        rrule=data.rrule.strip() if data.cadence == "custom" else "",
        starts_on=data.starts_on,
        start_time=data.start_time,
        duration_minutes=data.duration_minutes,
        chair_id=data.chair_id,
        place=data.place.strip(),
        online_link=data.online_link.strip(),
        agenda_template=data.agenda_template.strip(),
        attendee_ids=sorted(set(data.attendee_ids)),
        counterparts=[{"user": uid} for uid in data.counterpart_user_ids]
        + [{"unit": uid} for uid in data.counterpart_unit_ids],
    )
    db.session.add(series)
    db.session.flush()
    planned = plan_occurrences(series)
    audit.record(
        actor,
        "created",
        series,
        {"name": [None, series.name], "cadence": [None, series.cadence]},
        summary=f"{series.name} ({len(planned)})",
    )
    return series


def update_series(
    actor: User, series: MeetingSeries, data: SeriesInput, version: int | None
) -> dict:
    """Change a series; its planned meetings to come follow (those moved by hand keep
    their time). The kind, cadence and first day stay as they were: a different rhythm
    is a new series.
    """
    authorize(actor, "meeting.manage", series.task_force_id)
    check_version(series, version)
    data.kind, data.cadence, data.rrule, data.starts_on = (
        series.kind,
        series.cadence,
        series.rrule,
        series.starts_on,
    )
    _check_series(series.task_force_id, data)
    old_time = series.start_time
    changes = audit.apply_changes(
        series,
        {
            "name": data.name.strip(),
            "start_time": data.start_time,
            "duration_minutes": data.duration_minutes,
            "chair_id": data.chair_id,
            "place": data.place.strip(),
            "online_link": data.online_link.strip(),
            "agenda_template": data.agenda_template.strip(),
            "attendee_ids": sorted(set(data.attendee_ids)),
            "counterparts": [{"user": uid} for uid in data.counterpart_user_ids]
            + [{"unit": uid} for uid in data.counterpart_unit_ids],
        },
    )
    if not changes:
        return changes
    today = clock.start_of_day(clock.today())
    coming = db.session.scalars(
        select(Meeting).where(
            Meeting.series_id == series.id, Meeting.status == PLANNED, Meeting.starts_at >= today
        )
    ).all()
    invited: dict[int, dict[int, Attendance]] = defaultdict(dict)
    for row in db.session.scalars(
        select(Attendance).where(Attendance.meeting_id.in_([m.id for m in coming]))
    ):
        invited[row.meeting_id][row.user_id] = row
    at = _start_time(series)
    wanted_base = set(series.attendee_ids) | {series.chair_id}
    for meeting in coming:
        before = (meeting.starts_at, meeting.place, meeting.online_link, meeting.duration_minutes)
        wall = clock.local(meeting.starts_at)
        by_hand = wall.date() != meeting.scheduled_on or wall.strftime("%H:%M") != old_time
        if not by_hand:
            meeting.starts_at = clock.at(meeting.scheduled_on, at)
        meeting.title = series.name
        meeting.place = series.place
        meeting.online_link = series.online_link
        meeting.duration_minutes = series.duration_minutes
        meeting.chair_id = series.chair_id
        user_id, unit_id = _counterpart(series, meeting.number)
        meeting.counterpart_user_id, meeting.counterpart_unit_id = user_id, unit_id
        wanted = wanted_base | ({user_id} if user_id else set())
        rows = invited[meeting.id]
        for uid in wanted - set(rows):
            db.session.add(
                Attendance(task_force_id=series.task_force_id, meeting_id=meeting.id, user_id=uid)
            )
        for uid, row in rows.items():
            if uid not in wanted and row.status is None:
                db.session.delete(row)
        after = (meeting.starts_at, meeting.place, meeting.online_link, meeting.duration_minutes)
        if after != before:
            meeting.ical_sequence += 1
    audit.record(actor, "updated", series, changes, summary=series.name)
    return changes


def plan_ahead(actor: User, series: MeetingSeries) -> int:
    authorize(actor, "meeting.manage", series.task_force_id)
    added = plan_occurrences(series)
    if added:
        audit.record(actor, "planned", series, summary=f"{series.name} +{len(added)}")
    return len(added)


def get_series(series_id) -> MeetingSeries:
    return _get(MeetingSeries, series_id)


def list_series(actor: User, task_force_id: int) -> list[MeetingSeries]:
    authorize(actor, "meeting.view", task_force_id)
    return list(
        db.session.scalars(
            select(MeetingSeries)
            .where(MeetingSeries.task_force_id == task_force_id)
            .options(joinedload(MeetingSeries.chair))
            .order_by(MeetingSeries.kind, MeetingSeries.id)
        )
    )


def series_meetings(series: MeetingSeries) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.series_id == series.id)
            .options(joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit))
            .order_by(Meeting.starts_at)
        )
    )


def upcoming_and_recent(task_force_id: int, limit: int = 10) -> tuple[list, list]:
    now = clock.start_of_day(clock.today())
    base = select(Meeting).options(
        joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit)
    )
    upcoming = db.session.scalars(
        base.where(Meeting.task_force_id == task_force_id, Meeting.starts_at >= now)
        .order_by(Meeting.starts_at)
        .limit(limit)
    ).all()
    recent = db.session.scalars(
        base.where(Meeting.task_force_id == task_force_id, Meeting.starts_at < now)
        .order_by(Meeting.starts_at.desc())
        .limit(limit)
    ).all()
    return list(upcoming), list(recent)
