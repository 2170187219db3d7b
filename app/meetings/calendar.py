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
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.core import clock, hooks, sections
from app.core.forms import one_line
from app.core.links import in_task_force
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues import tally
from app.issues.models import OPEN_STATUSES, Issue, Milestone, issue_collaborator
from app.meetings.labels import EVENT_LABELS
from app.meetings.models import (
    CANCELLED,
    ONE_ON_ONE,
    Attendance,
    CalendarToken,
    Meeting,
    MeetingSeries,
)
from app.people.models import Membership, TaskForce, User

# What a meeting's event shows besides its time: where, and who a one-on-one is with
# (a person or a unit, joined in the meetings' query: two more round trips otherwise).
_MEETING_DETAILS = (joinedload(Meeting.counterpart_user), joinedload(Meeting.counterpart_unit))

# --- providers -----------------------------------------------------------------------------


def meeting_events(user, task_force_id: int, start: date, end: date, per_day: int | None = None):
    """Meetings between ``start`` and ``end`` (inclusive); for a user, those they attend."""
    stmt = (
        select(Meeting)
        .where(
            Meeting.task_force_id == task_force_id,
            Meeting.starts_at >= clock.start_of_day(start),
            Meeting.starts_at < clock.start_of_day(end + timedelta(days=1)),
        )
        # By id among meetings at the same time: kept, the events are the same whoever
        # reads them first.
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if user is not None:
        invited = select(Attendance.meeting_id).where(Attendance.user_id == user.id)
        stmt = stmt.where(or_(Meeting.chair_id == user.id, Meeting.id.in_(invited)))
    meetings = db.session.scalars(stmt.options(*_MEETING_DETAILS))
    return hooks.first_per_day([meeting_event(m) for m in meetings], per_day)


def meeting_location(meeting: Meeting) -> str:
    """The place, the online link, or both."""
    return " · ".join(part for part in (meeting.place, meeting.online_link) if part)


def meeting_event(meeting: Meeting) -> hooks.CalendarEvent:
    """A meeting on the calendar: where it is, its agenda, and a one-on-one's counterpart."""
    notes: tuple[str, ...] = ()
    if meeting.kind == ONE_ON_ONE:
        counterpart = meeting.counterpart_user or meeting.counterpart_unit
        if counterpart is not None:
            name = getattr(counterpart, "display_name", None) or counterpart.name
            notes = (_("One-on-one with %(name)s", name=name),)
    return hooks.CalendarEvent(
        uid=f"meeting-{meeting.id}@gongjian",
        kind="meeting",
        title=meeting.title,
        start=clock.local(meeting.starts_at),
        end=clock.local(meeting.ends_at),
        url=f"/meetings/{meeting.id}#agenda",
        cancelled=meeting.status == CANCELLED,
        sequence=meeting.ical_sequence,
        location=meeting_location(meeting),
        notes=notes,
        link_label=_("Agenda"),
    )


def issue_events(user, task_force_id: int, start: date, end: date, per_day: int | None = None):
    """Deadlines and milestones of open items; for a user, of items they own or work on.
    A busy month holds thousands: with ``per_day``, each day's first (by id) and how
    many more. The task force's are kept as its items change (``tally.kept_rows``): the
    first view after a change reads the changed items' rows alone."""
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
    if user is None:
        task_force = db.session.get(TaskForce, task_force_id)
        deadline_rows, deadlines_left_out = _kept_days(
            task_force, deadlines, Issue.id, "deadline", (start, end, per_day)
        )
        milestone_rows, milestones_left_out = _kept_days(
            task_force, milestones, Milestone.issue_id, "due_on", (start, end, per_day)
        )
        left_out = deadlines_left_out + milestones_left_out
    else:
        deadline_rows, milestone_rows, left_out = _events_of(user, deadlines, milestones, per_day)
    events: list = [
        hooks.CalendarEvent(
            uid=f"deadline-{row.id}@gongjian",
            kind="deadline",
            title=f"{row.code} {row.title}",
            start=row.deadline,
            url=f"/issues/{row.id}",
            sequence=max(row.version - 1, 0),  # every saved edit may move the deadline
        )
        for row in deadline_rows
    ]
    events += [
        hooks.CalendarEvent(
            uid=f"milestone-{row.id}@gongjian",
            kind="milestone",
            title=f"{row.code} {row.title}",
            start=row.due_on,
            url=f"/issues/{row.issue_id}#milestones",
        )
        for row in milestone_rows
    ]
    return events + left_out


def _kept_days(task_force, stmt, item, day: str, window: tuple) -> tuple[list, list]:
    """``_first_of_each_day`` of ``stmt``'s rows (by their column ``day``) in ``window``
    (first day, last day, per day), kept as the items change (``tally.kept_rows``)."""
    per_day = window[2]
    return tally.kept_rows(
        task_force,
        ("calendar", day, *window),
        stmt,
        item,
        group=lambda row: getattr(row, day),
        order=lambda row: row.id,
        make=lambda days: _first_of_each_day(days, per_day),
    )


def _first_of_each_day(days: dict[date, list], per_day: int | None) -> tuple[list, list]:
    """The rows of ``days`` (each day's in order) day by day, each day's first
    ``per_day`` alone (None: all), and how many each day left out."""
    shown: list = []
    left_out: list[hooks.CalendarMore] = []
    for day in sorted(days):
        on_day = days[day]
        if per_day is not None and len(on_day) > per_day:
            left_out.append(hooks.CalendarMore(day, len(on_day) - per_day))
            on_day = on_day[:per_day]
        shown += on_day
    return shown, left_out


def _events_of(user, deadlines, milestones, per_day: int | None) -> tuple[list, list, list]:
    """The rows of items the user owns or works on (a personal feed: few), each day's
    first ``per_day`` ranked in SQL."""
    mine = or_(
        Issue.owner_id == user.id,
        Issue.id.in_(
            select(issue_collaborator.c.issue_id).where(issue_collaborator.c.user_id == user.id)
        ),
    )
    deadline_rows = sorted(
        db.session.execute(
            hooks.first_rows_per_day(deadlines.where(mine), Issue.deadline, Issue.id, per_day)
        ),
        key=lambda row: (row.deadline, row.id),
    )
    milestone_rows = sorted(
        db.session.execute(
            hooks.first_rows_per_day(
                milestones.where(mine), Milestone.due_on, Milestone.id, per_day
            )
        ),
        key=lambda row: (row.due_on, row.id),
    )
    return (
        deadline_rows,
        milestone_rows,
        hooks.rows_left_out(deadline_rows, "deadline", per_day)
        + hooks.rows_left_out(milestone_rows, "due_on", per_day),
    )


def _in_day_order(events) -> list[hooks.CalendarEvent]:
    return sorted(
        events,
        key=lambda e: (_day(e.start), not isinstance(e.start, datetime), _sort_time(e.start)),
    )


def events_between(user, task_force_id: int, start: date, end: date) -> list[hooks.CalendarEvent]:
    return _in_day_order(hooks.CALENDAR.collect(user, task_force_id, start, end))


def first_events_between(
    user, task_force_id: int, start: date, end: date, per_day: int
) -> tuple[dict[date, list[hooks.CalendarEvent]], dict[date, int]]:
    """The first ``per_day`` events of each day (in the calendar's order: timed ones
    first) and, for each day that has more, how many more: what the month grid shows.
    The providers cap each day in SQL, so this reads a bounded number of rows."""
    found = sections.collected(
        hooks.CALENDAR,
        user,
        task_force_id,
        start,
        end,
        per_day=per_day,
        task_force_id=task_force_id,
        key=(user.id if user is not None else None, start, end, per_day),
    )
    more: dict[date, int] = {}
    for extra in found:
        if isinstance(extra, hooks.CalendarMore):
            more[extra.day] = more.get(extra.day, 0) + extra.count
    shown: dict[date, list[hooks.CalendarEvent]] = {}
    for event in _in_day_order(e for e in found if isinstance(e, hooks.CalendarEvent)):
        day = shown.setdefault(_day(event.start), [])
        if len(day) < per_day:
            day.append(event)
        else:
            more[_day(event.start)] = more.get(_day(event.start), 0) + 1
    return shown, more


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


def event_lines(
    by_date: dict[date, list[hooks.CalendarEvent]], labels: dict[str, str], other: str
) -> dict[date, list[tuple[hooks.CalendarEvent, Markup]]]:
    """Each event with its line of the calendar page, made once: a busy month holds
    thousands, and the grid and the phones' agenda both show each."""
    lines: dict[date, list[tuple[hooks.CalendarEvent, Markup]]] = {}
    for day, events in by_date.items():
        made = lines[day] = []
        for e in events:
            cancelled = " calendar-cancelled" if e.cancelled else ""
            clock_time = (
                f'<span class="font-monospace">{e.start.strftime("%H:%M")}</span> '
                if isinstance(e.start, datetime)
                else ""
            )
            made.append(
                (
                    e,
                    Markup(
                        f'<div class="calendar-event calendar-{escape(e.kind)}{cancelled}">\n'
                        f'  {clock_time}<a href="{escape(e.url or "#")}" '
                        f'title="{escape(labels.get(e.kind, other))}">{escape(e.title)}</a>\n'
                        "</div>"
                    ),
                )
            )
    return lines


def more_links(more: dict[date, int], mine: bool) -> dict[date, Markup]:
    """Each day's "+N more", a link to the day's week (which shows them all), made once:
    the grid and the phones' agenda both show it."""
    text = _("+%(count)s more")
    link = Markup('<a class="calendar-more small" data-testid="calendar-more" href="{}">{}</a>')
    return {
        day: link.format(
            url_for(
                "meetings.calendar_page",
                view="week",
                day=day.isoformat(),
                mine="1" if mine else None,
            ),
            text % {"count": count},
        )
        for day, count in more.items()
    }


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


def installation_id() -> str:
    """What follows "@" in this installation's UIDs: INSTALLATION_ID, or BASE_URL's host."""
    config = current_app.config
    chosen = (config.get("INSTALLATION_ID") or "").strip()
    return chosen or urlsplit(config["BASE_URL"]).hostname or "gongjian"


def event_uid(event: hooks.CalendarEvent) -> str:
    """ "meeting-12@bank.example.cn": the event's key in this installation, then which one."""
    return f"{event.uid.split('@', 1)[0]}@{installation_id()}"


def _description(item: hooks.CalendarEvent, link: str | None) -> str:
    lines = list(item.notes)
    if link:
        label = item.link_label or _("Open in Gongjian")
        lines.append(_("%(label)s: %(url)s", label=label, url=link))
    return "\n".join(lines)


def ical(events: list[hooks.CalendarEvent], name: str) -> bytes:
    """The events as one VCALENDAR named ``name``: UIDs unique to this installation,
    SEQUENCE, cancelled ones CANCELLED, where they are and a link to open them (BASE_URL).

    Call it in the reader's language: categories and descriptions are written in it.
    """
    zone = clock.zone()
    base_url = current_app.config["BASE_URL"].rstrip("/")
    cal = Calendar()
    cal.add("prodid", "-//Gongjian//Meetings//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # Names are one line on input; one stored before that rule must not break the file.
    cal.add("name", one_line(name))  # RFC 7986
    cal.add("x-wr-calname", one_line(name))
    cal.add("x-wr-timezone", zone.key)
    cal.add_component(_vtimezone(zone.key))
    stamp = clock.now()
    for item in events:
        event = Event()
        event.add("uid", event_uid(item))
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
        if item.location:
            event.add("location", one_line(item.location))
        link = f"{base_url}{item.url}" if item.url else None
        if link:
            event.add("url", link)
        if description := _description(item, link):
            event.add("description", description)
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()


def _task_forces_of(user: User) -> list[tuple[int, str]]:
    """(id, name) of the task forces the user is on today, by id."""
    from app.core.scope import unscoped

    with unscoped():
        rows = db.session.execute(
            select(TaskForce.id, TaskForce.name)
            .join(Membership, Membership.task_force_id == TaskForce.id)
            .where(Membership.user_id == user.id, Membership.active_on(clock.today()))
            .distinct()
            .order_by(TaskForce.id)
        ).all()
    return [(row.id, row.name) for row in rows]


def personal_feed_name(user: User) -> str:
    """ "刘洋 · 零售攻坚小组 · 攻坚日程": whose, which task forces; in the reader's language."""
    names = [name for _id, name in _task_forces_of(user)]
    if not names:
        return _("%(whose)s · Gongjian schedule", whose=user.display_name)
    return _(
        "%(whose)s · %(task_forces)s · Gongjian schedule",
        whose=user.display_name,
        task_forces=" · ".join(names),
    )


def personal_events(user: User, days_back: int = 60, days_ahead: int = 365) -> list:
    """The user's events in every task force they are on today."""
    today = clock.today()
    start, end = today - timedelta(days=days_back), today + timedelta(days=days_ahead)
    events = []
    for task_force_id, _name in _task_forces_of(user):
        with task_force_scope(task_force_id):
            # Opened from a calendar app, a link must say which task force it opens in.
            events.extend(
                replace(event, url=in_task_force(event.url, task_force_id))
                for event in events_between(user, task_force_id, start, end)
            )
    return events


def series_events(series: MeetingSeries) -> list[hooks.CalendarEvent]:
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.series_id == series.id)
        .options(*_MEETING_DETAILS)
        .order_by(Meeting.starts_at)
    )
    return [meeting_event(m) for m in meetings]


def series_feed_name(series: MeetingSeries) -> str:
    """ "<series> · <task force> · 攻坚日程"."""
    task_force = db.session.get(TaskForce, series.task_force_id)
    return _(
        "%(whose)s · %(task_forces)s · Gongjian schedule",
        whose=series.name,
        task_forces=task_force.name if task_force else "",
    )
