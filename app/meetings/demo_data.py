"""The meeting rhythm of the source case, for ``flask demo load``.

Three series on the AUM task force: the leader's weekly one-on-ones with key people and
departments (按周面谈), the monthly progress meeting (月度工作推进交流会) and the quarterly
review (季度工作汇报会). A year of past meetings is written straight into the tables
(held, attendance, minutes, action items, minutes published), deterministically; the
coming ones stay planned, so their agendas are proposed from the data. The caller's
boundary commits. A second run finds the series and adds nothing. The literal data is in
``demo_data.json``.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.issues.models import Issue
from app.meetings import service
from app.meetings.models import (
    CANCELLED,
    HELD,
    PUBLISHED,
    ActionItem,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingSeries,
)

# The literal data (series, minutes, action items, decisions) lives beside this module.
DATA = json.loads((Path(__file__).parent / "demo_data.json").read_text(encoding="utf-8"))
SECTIONS = DATA["sections"]


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    """The instant of ``hh:mm`` local time on ``day``."""
    return clock.at(day, time(hh, mm))


def _weekday_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _workday(day: date) -> date:
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def load(task_force, users: dict, units: dict, today: date) -> int:
    """Write the three series and their year; returns how many series were added."""
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(
                select(MeetingSeries.name).where(MeetingSeries.task_force_id == task_force.id)
            )
        )
        start = task_force.starts_on
        leader = users["leader"]
        specs = [_series_input(spec, start, leader, users, units) for spec in DATA["series"]]
        issues = list(db.session.scalars(select(Issue).where(Issue.task_force_id == task_force.id)))
        added = 0
        for spec in specs:
            if spec.name in have:
                continue
            with clock.frozen_at(_at(spec.starts_on - timedelta(days=7), 10)):
                series = service.create_series(leader, task_force.id, spec)
                db.session.flush()  # its rows stamped with the frozen time
            service.plan_ahead(leader, series)
            _replay(series, issues, users, today)
            added += 1
    return added


def _series_input(spec: dict, start: date, leader, users: dict, units: dict):
    starts_on = start + timedelta(days=spec["starts_after_days"])
    if "on_weekday" in spec:
        starts_on = _weekday_after(starts_on, spec["on_weekday"])
    return service.SeriesInput(
        name=spec["name"],
        kind=spec["kind"],
        cadence=spec["cadence"],
        starts_on=starts_on,
        start_time=spec["start_time"],
        duration_minutes=spec["duration_minutes"],
        chair_id=leader.id,
        place=spec["place"],
        online_link=spec["online_link"],
        agenda_template="\n".join(spec["agenda_template"]),
        attendee_ids=[users[u].id for u in spec["attendees"]],
        counterpart_user_ids=[users[u].id for u in spec["counterpart_people"]],
        counterpart_unit_ids=[units[u].id for u in spec["counterpart_units"]],
    )


def _replay(series: MeetingSeries, issues: list[Issue], users: dict, today: date) -> None:
    """Hold every past meeting of the series: attendance, agenda, minutes, action items."""
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.scheduled_on)
    ).all()
    invited: dict[int, list[Attendance]] = {}
    for row in db.session.scalars(
        select(Attendance).where(
            Attendance.meeting_id.in_([m.id for m in meetings]),
        )
    ):
        invited.setdefault(row.meeting_id, []).append(row)
    by_id = {u.id: u for u in users.values()}
    past = [m for m in meetings if m.scheduled_on < today]
    last = past[-1] if past else None
    for meeting in meetings:
        rng = random.Random(f"{series.name}-{meeting.number}")
        # A weekend day is moved by hand to the nearest working day.
        workday = _workday(meeting.scheduled_on)
        if workday != meeting.scheduled_on:
            meeting.starts_at = clock.at(workday, clock.local(meeting.starts_at).time())
            meeting.ical_sequence = 1
        if meeting.scheduled_on >= today:
            continue
        if series.kind == "one_on_one" and meeting.number % 11 == 6:
            meeting.status = CANCELLED  # the leader away: cancelled, not moved
            meeting.ical_sequence += 1
            continue
        day = clock.local_date(meeting.starts_at)
        # The most recent monthly meeting is held, its minutes not yet published.
        meeting.status = PUBLISHED if meeting is not last or series.kind != "progress" else HELD
        meeting.held_at = meeting.ends_at
        if meeting.status == PUBLISHED:
            meeting.published_at = _at(day + timedelta(days=1), 11)
        for row in invited.get(meeting.id, []):
            roll = rng.random()
            row.status = (
                "present"
                if roll < 0.82 or row.user_id == series.chair_id
                else "late"
                if roll < 0.9
                else "excused"
                if roll < 0.97
                else "absent"
            )
        topics = _topics(series, meeting, issues, day, rng)
        _write_agenda(series, meeting, topics, rng, by_id)
        if series.kind != "one_on_one":
            mentions = _mentions(topics)
            choices = [d for d in DATA["decisions"] if mentions["red"] or "{red}" not in d]
            meeting.decisions = rng.choice(choices).format(**mentions)
        count = {"progress": 2, "review": 2}.get(series.kind, 1 if rng.random() < 0.5 else 0)
        people = [r.user_id for r in invited.get(meeting.id, []) if r.user_id != series.chair_id]
        for i in range(count):
            if not people:
                break
            deadline = day + timedelta(days=rng.choice((7, 14, 21)))
            done_on = None
            if deadline < today - timedelta(days=3) or rng.random() < 0.3:
                done_on = min(day + timedelta(days=rng.randint(3, 26)), today - timedelta(days=1))
            db.session.add(
                ActionItem(
                    task_force_id=series.task_force_id,
                    meeting_id=meeting.id,
                    title=DATA["actions"][(meeting.number + i) % len(DATA["actions"])],
                    owner_id=rng.choice(people),
                    deadline=deadline,
                    done_on=done_on,
                )
            )
    db.session.flush()


def _codes(issues: list[Issue]) -> str:
    return "、".join(i.code for i in issues[:3]) or DATA["nothing"]


def _mentions(topics: list[tuple[str, Issue]]) -> dict[str, str]:
    """What the meeting's minutes name: its items by code, by the section they came in."""
    of = {key: [i for k, i in topics if k == key] for key in ("red", "yellow", "closed")}
    talked = [i for k, i in topics if k != "closed"]
    return {
        "items": _codes(talked or of["closed"]),
        "first": _codes((of["red"] or talked or of["closed"])[:1]),
        "red": "、".join(i.code for i in of["red"][:3]),
        "yellow": _codes(of["yellow"] or talked),
        "closed": _codes(of["closed"]),
    }


def _write_agenda(series, meeting, topics, rng, by_id: dict) -> None:
    """The template's lines, then the items talked about, each with its minutes: the
    template's lines name the items the meeting took up, each item's minutes its own."""
    position = 0
    mentions = _mentions(topics)
    for line in (series.agenda_template or "").splitlines():
        position += 1
        minutes = DATA["agenda_minutes"].get(line, "")
        if not mentions["red"]:
            minutes = DATA["agenda_minutes_no_red"].get(line, minutes)
        db.session.add(
            AgendaItem(
                task_force_id=series.task_force_id,
                meeting_id=meeting.id,
                position=position,
                section=SECTIONS["agenda"],
                title=line,
                minutes=minutes.format(**mentions),
            )
        )
    for key, issue in topics:
        position += 1
        owner = by_id.get(issue.owner_id)
        minutes = rng.choice(DATA["topic_minutes"][key]).format(
            code=issue.code,
            title=issue.title,
            owner=owner.display_name if owner else "",
            deadline=issue.deadline.isoformat() if issue.deadline else "",
        )
        db.session.add(
            AgendaItem(
                task_force_id=series.task_force_id,
                meeting_id=meeting.id,
                position=position,
                section=SECTIONS[key],
                title=f"{issue.code} {issue.title}",
                url=f"/issues/{issue.id}",
                subject_type="issue",
                subject_id=issue.id,
                minutes=minutes,
            )
        )


def _topics(series, meeting, issues, day: date, rng) -> list[tuple[str, Issue]]:
    """Items that were open on ``day`` and worth talking about then, each with the key of
    its section."""
    moment = clock.start_of_day(day)

    def open_then(issue: Issue) -> bool:
        return issue.created_at < moment and (issue.closed_at is None or issue.closed_at > moment)

    if series.kind == "one_on_one":
        mine = [
            i
            for i in issues
            if open_then(i)
            and (
                i.owner_id == meeting.counterpart_user_id
                or (meeting.counterpart_unit_id and i.org_unit_id == meeting.counterpart_unit_id)
            )
        ]
        mine.sort(key=lambda i: (i.deadline or date.max, i.id))
        return [("one_on_one", i) for i in mine[:4]]
    due = [i for i in issues if open_then(i) and i.deadline is not None]
    overdue = [i for i in due if i.deadline < day]
    soon = [i for i in due if day <= i.deadline <= day + timedelta(days=30)]
    topics = [("red", i) for i in sorted(overdue, key=lambda i: i.deadline)[:4]]
    topics += [("yellow", i) for i in sorted(soon, key=lambda i: i.deadline)[:4]]
    if series.kind == "review":
        since = moment - timedelta(days=92)
        closed = [i for i in issues if i.closed_at and since < i.closed_at < moment]
        rng.shuffle(closed)
        topics += [("closed", i) for i in closed[:5]]
    return topics
