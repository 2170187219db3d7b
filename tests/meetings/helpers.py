"""Building meetings for tests through the models (not the services under test)."""

from __future__ import annotations

from datetime import date, time

from app.core import clock
from app.extensions import db
from app.meetings.models import ActionItem, Attendance, Meeting, MeetingSeries


def make_series(world, kind="progress", **fields) -> MeetingSeries:
    values = dict(
        task_force_id=world.task_force_id,
        name={
            "progress": "月度工作推进交流会",
            "one_on_one": "按周面谈",
            "review": "季度工作汇报会",
        }[kind],
        kind=kind,
        cadence={"progress": "monthly", "one_on_one": "weekly", "review": "quarterly"}[kind],
        starts_on=date(2024, 1, 1),
    )
    values.update(fields)
    values.setdefault("chair_id", world.users.get("leader"))
    series = MeetingSeries(**values)
    db.session.add(series)
    db.session.commit()
    return series


def make_meeting(series, day: date, status="planned", invited=(), **fields) -> Meeting:
    fields.setdefault("starts_at", clock.at(day, time(9, 30)))
    meeting = Meeting(
        task_force_id=series.task_force_id,
        series_id=series.id,
        title=series.name,
        kind=series.kind,
        scheduled_on=day,
        chair_id=series.chair_id,
        status=status,
        **fields,
    )
    db.session.add(meeting)
    db.session.flush()
    for user_id in invited:
        db.session.add(
            Attendance(task_force_id=series.task_force_id, meeting_id=meeting.id, user_id=user_id)
        )
    db.session.commit()
    return meeting


def make_action(meeting, title, owner_id=None, deadline=None, done_on=None) -> ActionItem:
    action = ActionItem(
        task_force_id=meeting.task_force_id,
        meeting_id=meeting.id,
        title=title,
        owner_id=owner_id,
        deadline=deadline,
        done_on=done_on,
    )
    db.session.add(action)
    db.session.commit()
    return action
