"""Cadence compliance and figures: one-on-one coverage per counterpart, and meetings held,
attendance, action items done on time over a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from app.core import clock
from app.extensions import db
from app.meetings.models import (
    CANCELLED,
    HELD,
    ONE_ON_ONE,
    PUBLISHED,
    ActionItem,
    Attendance,
    Meeting,
    MeetingSeries,
)
from app.people.models import OrgUnit, User


@dataclass
class CoverageRow:
    name: str
    last_met: date | None
    overdue: bool


def coverage(series: MeetingSeries, weeks: int = 4) -> list[CoverageRow]:
    """For a one-on-one series: each counterpart's last held meeting; who is overdue."""
    today = clock.today()
    last: dict[tuple, date] = {}
    for user_id, unit_id, day in db.session.execute(
        select(
            Meeting.counterpart_user_id, Meeting.counterpart_unit_id, func.max(Meeting.starts_at)
        )
        .where(
            Meeting.series_id == series.id,
            Meeting.status.in_((HELD, PUBLISHED)),
            Meeting.starts_at < clock.start_of_day(today + timedelta(days=1)),
        )
        .group_by(Meeting.counterpart_user_id, Meeting.counterpart_unit_id)
    ):
        last[("user", user_id) if user_id else ("unit", unit_id)] = clock.local_date(day)
    user_ids = [c["user"] for c in series.counterparts or [] if "user" in c]
    unit_ids = [c["unit"] for c in series.counterparts or [] if "unit" in c]
    names = {}
    if user_ids:
        for uid, name in db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(user_ids))
        ):
            names[("user", uid)] = name
    if unit_ids:
        for uid, name in db.session.execute(
            select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(unit_ids))
        ):
            names[("unit", uid)] = name
    limit = today - timedelta(weeks=weeks)
    rows = []
    for entry in series.counterparts or []:
        key = ("user", entry["user"]) if "user" in entry else ("unit", entry["unit"])
        met = last.get(key)
        rows.append(CoverageRow(names.get(key, "?"), met, met is None or met < limit))
    rows.sort(key=lambda r: (not r.overdue, r.last_met or date.min))
    return rows


@dataclass
class Figures:
    start: date
    end: date
    per_series: list[dict]
    attendance: list[dict]
    actions_total: int
    actions_on_time: int
    actions_done: int
    one_on_one_met: int
    one_on_one_counterparts: int


def figures(task_force_id: int, start: date, end: date) -> Figures:
    """Meetings held vs planned per series, attendance per person, action items done on
    time, one-on-one coverage, between ``start`` and ``end``: five grouped queries."""
    begin = clock.start_of_day(start)
    stop = clock.start_of_day(end + timedelta(days=1))
    in_period = and_(Meeting.starts_at >= begin, Meeting.starts_at < stop)
    held = Meeting.status.in_((HELD, PUBLISHED))
    series_rows = _series_counts(task_force_id, in_period, held)
    per_series = [
        {"name": name, "kind": kind, "cadence": cadence, "planned": planned, "held": held_n,
         "cancelled": cancelled}
        for _sid, name, kind, cadence, _cps, planned, held_n, cancelled in series_rows
    ]  # fmt: skip
    total, done, on_time = _action_counts(task_force_id, in_period)
    counterparts = sum(
        len(cps or []) for _sid, _name, kind, _cad, cps, *_rest in series_rows if kind == ONE_ON_ONE
    )
    met = _one_on_ones_met(task_force_id, in_period, held) if counterparts else 0
    return Figures(
        start=start,
        end=end,
        per_series=per_series,
        attendance=_attendance_rates(task_force_id, in_period, held),
        actions_total=total,
        actions_done=done,
        actions_on_time=on_time,
        one_on_one_met=min(met, counterparts),
        one_on_one_counterparts=counterparts,
    )


def _series_counts(task_force_id: int, in_period, held) -> list:
    """Per series: its name, kind, cadence and counterparts, and its meetings of the
    period: planned, held, cancelled."""
    return db.session.execute(
        select(
            MeetingSeries.id,
            MeetingSeries.name,
            MeetingSeries.kind,
            MeetingSeries.cadence,
            MeetingSeries.counterparts,
            func.count(Meeting.id),
            func.count(Meeting.id).filter(held),
            func.count(Meeting.id).filter(Meeting.status == CANCELLED),
        )
        .join(Meeting, and_(Meeting.series_id == MeetingSeries.id, in_period), isouter=True)
        .where(MeetingSeries.task_force_id == task_force_id)
        .group_by(
            MeetingSeries.id,
            MeetingSeries.name,
            MeetingSeries.kind,
            MeetingSeries.cadence,
        )
        .order_by(MeetingSeries.id)
    ).all()


def _attendance_rates(task_force_id: int, in_period, held) -> list[dict]:
    present = Attendance.status.in_(("present", "late"))
    attendance_rows = db.session.execute(
        select(
            User.display_name,
            func.count(Attendance.id),
            func.count(Attendance.id).filter(present),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.task_force_id == task_force_id, in_period, held)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name)
    ).all()
    return [
        {"name": name, "invited": invited, "present": came, "rate": round(100 * came / invited)}
        for name, invited, came in attendance_rows
        if invited
    ]


def _action_counts(task_force_id: int, in_period) -> tuple[int, int, int]:
    """The period's action items: all, done, done by their deadline."""
    return db.session.execute(
        select(
            func.count(ActionItem.id),
            func.count(ActionItem.id).filter(ActionItem.done_on.is_not(None)),
            func.count(ActionItem.id).filter(
                ActionItem.done_on.is_not(None),
                or_(ActionItem.deadline.is_(None), ActionItem.done_on <= ActionItem.deadline),
            ),
        )
        .join(Meeting, Meeting.id == ActionItem.meeting_id)
        .where(ActionItem.task_force_id == task_force_id, in_period)
    ).one()


def _one_on_ones_met(task_force_id: int, in_period, held) -> int:
    """How many counterparts (a person or a unit) had a one-on-one held in the period."""
    met = db.session.execute(
        select(Meeting.counterpart_user_id, Meeting.counterpart_unit_id)
        .where(
            Meeting.task_force_id == task_force_id,
            Meeting.kind == ONE_ON_ONE,
            in_period,
            held,
        )
        .distinct()
    ).all()
    return len({tuple(row) for row in met})
