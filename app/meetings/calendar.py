"""The calendar: events from every feature through ``hooks.CALENDAR``, the personal feed
token, and iCalendar (RFC 5545) written with the ``icalendar`` library.

Meetings and the problem list's deadlines and milestones are provided here; later
features (pilots, escalations) register their own providers and appear by themselves.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from icalendar import Calendar, Event, Timezone
from sqlalchemy import or_, select

from app.core import clock, hooks
from app.core.forms import one_line
from app.core.links import in_task_force
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues.models import OPEN_STATUSES, Issue, Milestone, issue_collaborator
from app.meetings.labels import EVENT_LABELS
from app.meetings.models import CANCELLED, Attendance, CalendarToken, Meeting, MeetingSeries
from app.people.models import Membership, User

# --- providers -----------------------------------------------------------------------------


def meeting_events(user, task_force_id: int, start: date, end: date) -> list[hooks.CalendarEvent]:
    """Meetings between ``start`` and ``end`` (inclusive); for a user, those they attend."""
    stmt = (
        select(Meeting)
        .where(
            Meeting.task_force_id == task_force_id,
            Meeting.starts_at >= clock.start_of_day(start),
            Meeting.starts_at < clock.start_of_day(end + timedelta(days=1)),
        )
        .order_by(Meeting.starts_at)
    )
    if user is not None:
        invited = select(Attendance.meeting_id).where(Attendance.user_id == user.id)
        stmt = stmt.where(or_(Meeting.chair_id == user.id, Meeting.id.in_(invited)))
    return [
        hooks.CalendarEvent(
            uid=f"meeting-{m.id}@gongjian",
            kind="meeting",
            title=m.title,
            start=clock.local(m.starts_at),
            end=clock.local(m.ends_at),
            url=f"/meetings/{m.id}",
            cancelled=m.status == CANCELLED,
            sequence=m.ical_sequence,
        )
        for m in db.session.scalars(stmt)
    ]


def issue_events(user, task_force_id: int, start: date, end: date) -> list[hooks.CalendarEvent]:
    """Deadlines and milestones of open items; for a user, of items they own or work on."""
    mine = None
    if user is not None:
        mine = or_(
            Issue.owner_id == user.id,
            Issue.id.in_(
                select(issue_collaborator.c.issue_id).where(issue_collaborator.c.user_id == user.id)
            ),
        )
    # Plain rows, not ORM objects: a busy month has a thousand or more of these.
    deadlines = select(Issue.id, Issue.code, Issue.title, Issue.deadline, Issue.version).where(
        Issue.task_force_id == task_force_id,
        Issue.status.in_(OPEN_STATUSES),
        Issue.deadline >= start,
        Issue.deadline <= end,
    )
    milestones = (
        select(Milestone.id, Milestone.title, Milestone.due_on, Milestone.issue_id, Issue.code)
        .join(Issue, Issue.id == Milestone.issue_id)
        .where(
            Milestone.task_force_id == task_force_id,
            Issue.status.in_(OPEN_STATUSES),
            Milestone.due_on >= start,
            Milestone.due_on <= end,
        )
    )
    if mine is not None:
        deadlines = deadlines.where(mine)
        milestones = milestones.where(mine)
    events = [
        hooks.CalendarEvent(
            uid=f"deadline-{row.id}@gongjian",
            kind="deadline",
            title=f"{row.code} {row.title}",
            start=row.deadline,
            url=f"/issues/{row.id}",
            sequence=max(row.version - 1, 0),  # every saved edit may move the deadline
        )
        for row in db.session.execute(deadlines)
    ]
    events += [
        hooks.CalendarEvent(
            uid=f"milestone-{row.id}@gongjian",
            kind="milestone",
            title=f"{row.code} {row.title}",
            start=row.due_on,
            url=f"/issues/{row.issue_id}#milestones",
        )
        for row in db.session.execute(milestones)
    ]
    return events


def events_between(user, task_force_id: int, start: date, end: date) -> list[hooks.CalendarEvent]:
    return sorted(
        hooks.CALENDAR.collect(user, task_force_id, start, end),
        key=lambda e: (_day(e.start), not isinstance(e.start, datetime), _sort_time(e.start)),
    )


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _sort_time(value) -> time:
    return value.time() if isinstance(value, datetime) else time()


# --- the month and week grids --------------------------------------------------------------


def month_grid(year: int, month: int) -> tuple[date, date, list[list[date]]]:
    """Weeks (Monday first) covering the month: first shown day, last shown day, weeks."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    end = last + timedelta(days=6 - last.weekday())
    weeks = []
    day = start
    while day <= end:
        weeks.append([day + timedelta(days=i) for i in range(7)])
        day += timedelta(days=7)
    return start, end, weeks


def by_day(events: list[hooks.CalendarEvent]) -> dict[date, list[hooks.CalendarEvent]]:
    found: dict[date, list[hooks.CalendarEvent]] = {}
    for event in events:
        found.setdefault(_day(event.start), []).append(event)
    return found


# --- the personal feed token ---------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new secret for the user's feed; any earlier one stops working. Shown once."""
    revoke_token(user)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarToken(user_id=user.id, token_hash=_hash(token)))
    return token


def revoke_token(user: User) -> int:
    rows = db.session.scalars(
        select(CalendarToken).where(
            CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = clock.now()
    return len(rows)


def has_token(user: User) -> CalendarToken | None:
    return db.session.scalars(
        select(CalendarToken).where(
            CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
        )
    ).first()


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, else None."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(
        select(CalendarToken).where(
            CalendarToken.token_hash == _hash(token), CalendarToken.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None


# --- iCalendar -----------------------------------------------------------------------------


def _vtimezone(name: str) -> Timezone:
    """The configured zone's rules, from the same zone database as the app's clock."""
    return Timezone.from_tzid(name)


def kind_label(kind: str) -> str:
    """An event kind's label (会议, 完成时限, 提级 …); an unknown kind: the key itself."""
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind


def ical(events: list[hooks.CalendarEvent], name: str, base_url: str = "") -> bytes:
    """The events as one VCALENDAR: stable UIDs, SEQUENCE, cancelled ones CANCELLED."""
    zone = clock.zone()
    cal = Calendar()
    cal.add("prodid", "-//Gongjian//Meetings//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # Names are one line on input; one stored before that rule must not break the file.
    cal.add("x-wr-calname", one_line(name))
    cal.add("x-wr-timezone", zone.key)
    cal.add_component(_vtimezone(zone.key))
    stamp = clock.now()
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("summary", one_line(item.title))
        event.add("sequence", item.sequence)
        if isinstance(item.start, datetime):
            event.add("dtstart", item.start.astimezone(zone))
            if item.end is not None:
                event.add("dtend", item.end.astimezone(zone))
        else:
            event.add("dtstart", item.start)
            event.add("dtend", (item.end or item.start) + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        # In the reader's language: calendar apps show the category as it is written.
        event.add("categories", [kind_label(item.kind)])
        if item.url:
            event.add("url", f"{base_url}{item.url}")
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def personal_events(user: User, days_back: int = 60, days_ahead: int = 365) -> list:
    """The user's events in every task force they are on today."""
    today = clock.today()
    start, end = today - timedelta(days=days_back), today + timedelta(days=days_ahead)
    from app.core.scope import unscoped

    with unscoped():
        task_force_ids = list(
            db.session.scalars(
                select(Membership.task_force_id).where(
                    Membership.user_id == user.id, Membership.active_on(today)
                )
            )
        )
    events = []
    for task_force_id in sorted(set(task_force_ids)):
        with task_force_scope(task_force_id):
            # Opened from a calendar app, a link must say which task force it opens in.
            events.extend(
                replace(event, url=in_task_force(event.url, task_force_id))
                for event in events_between(user, task_force_id, start, end)
            )
    return events


def series_events(series: MeetingSeries) -> list[hooks.CalendarEvent]:
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.starts_at)
    )
    return [
        hooks.CalendarEvent(
            uid=f"meeting-{m.id}@gongjian",
            kind="meeting",
            title=m.title,
            start=clock.local(m.starts_at),
            end=clock.local(m.ends_at),
            url=f"/meetings/{m.id}",
            cancelled=m.status == CANCELLED,
            sequence=m.ical_sequence,
        )
        for m in meetings
    ]
