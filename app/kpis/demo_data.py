"""Demo goal figures: the source case's year, month by month.

Non-deposit AUM went from about 862 to 1,000 亿元 (非存AUM千亿目标); over the year AUM
grew 16%, agency wealth-management sales 188%, wealth-management fee income 19% and
trust scale 50%. The growth rates are kept as cumulative percentages against the
start of the year. Month ends are placed from the task force's first month to the
last month already over.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.kpis import service
from app.kpis.models import Kpi
from app.people.models import TaskForce, User

PILOT = "长春分行私人银行中心改革"

# The shape of the year: how much of the way each month-end had come (ends at 1).
CURVE = (0.0, 0.06, 0.13, 0.22, 0.31, 0.40, 0.50, 0.61, 0.71, 0.82, 0.91, 1.0)

# (name, unit, baseline, final value, target, description)
FIGURES = [
    (
        "非存AUM",
        "yi_yuan",
        862,
        1000,
        1000,
        "瞄准非存AUM千亿目标：年初约862亿元，年末突破1000亿元。",
    ),
    ("AUM增幅", "percent", 0, 16, 15, "全口径AUM较年初增幅。"),
    ("代销理财销量增幅", "percent", 0, 188, 150, "代销理财销量较上年同期增幅。"),
    ("理财中收增幅", "percent", 0, 19, 15, "理财业务中间业务收入较上年同期增幅。"),
    ("信托规模增幅", "percent", 0, 50, 40, "代销信托规模较年初增幅。"),
]


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
        for order, (name, unit, baseline, final, target, description) in enumerate(FIGURES):
            if name in have:
                continue
            created = datetime(start.year, start.month, start.day, 2, order, tzinfo=UTC)
            with clock.frozen_at(created):
                kpi = service.create_kpi(
                    leader,
                    task_force.id,
                    service.KpiInput(
                        name=name,
                        unit=unit,
                        direction="up",
                        baseline=Decimal(baseline),
                        baseline_on=start,
                        target=Decimal(target),
                        target_on=start.replace(year=start.year + 1) - timedelta(days=1),
                        description=description,
                        pilot_ids=pilot_ids if name == "非存AUM" else [],
                    ),
                )
            # The latest month-end carries the year's final figure.
            curve = CURVE[len(CURVE) - len(ends) :] if ends else ()
            for period, share in zip(ends, curve, strict=True):
                value = Decimal(baseline + (final - baseline) * share).quantize(Decimal("0.1"))
                entered = min(period + timedelta(days=3), today)
                at = datetime(entered.year, entered.month, entered.day, 3, tzinfo=UTC)
                with clock.frozen_at(at):
                    service.record_reading(leader, kpi, period, value)
            added += 1
    return added
