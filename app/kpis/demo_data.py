"""Demo goal figures: the source case's year, month by month.

Non-deposit AUM went from about 862 to 1,000 亿元 (非存AUM千亿目标); over the year AUM
grew 16%, agency wealth-management sales 188%, wealth-management fee income 19% and
trust scale 50%. The growth rates are kept as cumulative percentages against the
start of the year. Month ends are placed from the task force's first month to the
last month already over.
"""

from __future__ import annotations

import json
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.core.scope import task_force_scope
from app.core.unit import flushed_at
from app.extensions import db
from app.kpis import service
from app.kpis.models import Kpi
from app.people.models import TaskForce, User

# The figures, their year's shape (how much of the way each month-end had come, ending
# at 1) and the pilot meant to move them live in a data file beside this one.
DATA = json.loads(Path(__file__).with_name("demo_data.json").read_text(encoding="utf-8"))
PILOT = DATA["pilot"]
CURVE = tuple(DATA["curve"])
FIGURES = DATA["figures"]


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _month_ends(start: date, today: date) -> list[date]:
    ends = []
    day = _month_end(start)
    while day < today and len(ends) < len(CURVE):
        ends.append(day)
        day = _month_end(day + timedelta(days=1))
    return ends


def build(task_force: TaskForce, leader: User, today: date) -> int:
    """Write the demo KPIs not there yet, with their readings; returns how many were added."""
    start = task_force.starts_on
    ends = _month_ends(start, today)
    added = 0
    with task_force_scope(task_force.id):
        # The AUM figure is what the Changchun pilot was meant to move.
        pilot_ids = [pid for pid, name in service.pilot_options(task_force.id) if name == PILOT]
        have = set(db.session.scalars(select(Kpi.name).where(Kpi.task_force_id == task_force.id)))
        for order, figure in enumerate(FIGURES):
            name, baseline, final = figure["name"], figure["baseline"], figure["final"]
            if name in have:
                continue
            created = datetime(start.year, start.month, start.day, 2, order, tzinfo=UTC)
            with flushed_at(created):
                kpi = service.create_kpi(
                    leader,
                    task_force.id,
                    service.KpiInput(
                        name=name,
                        unit=figure["unit"],
                        direction="up",
                        baseline=Decimal(baseline),
                        baseline_on=start,
                        target=Decimal(figure["target"]),
                        target_on=start.replace(year=start.year + 1) - timedelta(days=1),
                        description=figure["description"],
                        pilot_ids=pilot_ids if figure["moved_by_pilot"] else [],
                    ),
                )
            # The latest month-end carries the year's final figure.
            curve = CURVE[len(CURVE) - len(ends) :] if ends else ()
            for period, share in zip(ends, curve, strict=True):
                value = Decimal(baseline + (final - baseline) * share).quantize(Decimal("0.1"))
                entered = min(period + timedelta(days=3), today)
                at = datetime(entered.year, entered.month, entered.day, 3, tzinfo=UTC)
                with flushed_at(at):
                    service.record_reading(leader, kpi, period, value)
            added += 1
    return added
