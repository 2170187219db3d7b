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
from app.kpis.models import SUM, Kpi
from app.kpis.service import breakdown
from app.people.models import OrgUnit, TaskForce, User

# The figures, their year's shape (how much of the way each month-end had come, ending
# at 1) and the pilot meant to move them live in a data file beside this one.
DATA = json.loads(Path(__file__).with_name("demo_data.json").read_text(encoding="utf-8"))
PILOT = DATA["pilot"]
CURVE = tuple(DATA["curve"])
FIGURES = DATA["figures"]
BREAKDOWN = DATA["breakdown"]


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _month_ends(start: date, today: date) -> list[date]:
    ends = []
    day = _month_end(start)
    while day < today and len(ends) < len(CURVE):
        ends.append(day)
        day = _month_end(day + timedelta(days=1))
    return ends


def build(task_force: TaskForce, users: dict[str, User], today: date) -> int:
    """Write the demo KPIs not there yet, with their readings, and break the AUM figure
    down over the branches; returns how many KPIs were added."""
    leader = users["leader"]
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
            step = Decimal(1) if figure["unit"] == "count" else Decimal("0.1")
            for period, share in zip(ends, curve, strict=True):
                value = Decimal(baseline + (final - baseline) * share).quantize(step)
                entered = min(period + timedelta(days=3), today)
                at = datetime(entered.year, entered.month, entered.day, 3, tzinfo=UTC)
                with flushed_at(at):
                    service.record_reading(leader, kpi, period, value)
            added += 1
        _break_down(task_force, users, today)
    return added


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


def _break_down(task_force: TaskForce, users: dict[str, User], today: date) -> None:
    """非存AUM over the branches and the HQ channels, quarter by quarter: each unit's
    targets on a path to its share of 1,000 亿元; its readings at each quarter's end add up
    to the task force's reading of that day, the fast units ahead, 四平 and 通化 behind."""
    kpi = db.session.scalar(
        select(Kpi).where(Kpi.task_force_id == task_force.id, Kpi.name == BREAKDOWN["kpi"])
    )
    if kpi is None or kpi.breakdown is not None:
        return
    leader, start = users["leader"], task_force.starts_on
    units = {u.name: u for u in db.session.scalars(select(OrgUnit))}
    plan = [(units[u["name"]], u) for u in BREAKDOWN["units"] if u["name"] in units]
    with flushed_at(_at(start)):
        breakdown.set_breakdown(
            leader,
            kpi,
            breakdown.BreakdownInput(
                kind=BREAKDOWN["kind"],
                aggregation=SUM,
                tolerance=Decimal(BREAKDOWN["tolerance"]),
                unit_ids=[unit.id for unit, _u in plan],
            ),
            None,
        )
        periods = breakdown.plan_periods(kpi)
        shares = BREAKDOWN["shares"][-len(periods) :]
        shares = [Decimal(1)] * (len(periods) - len(shares)) + [Decimal(str(x)) for x in shares]
        targets = {}
        for unit, row in plan:
            gain = Decimal(row["final"] - row["baseline"])
            for period, share in zip(periods, shares, strict=True):
                targets[(unit.id, period.end)] = (row["baseline"] + gain * share).quantize(
                    Decimal("0.1")
                )
        breakdown.save_targets(
            leader,
            kpi,
            targets,
            baselines={unit.id: Decimal(row["baseline"]) for unit, row in plan},
        )
    _adjust(kpi, users, plan, periods, today)
    # Each quarter that has ended and has the task force's reading is read by unit.
    task_force_readings = {r.period: r.value for r in kpi.readings}
    for period in periods:
        total = task_force_readings.get(period.end)
        if total is None or period.end >= today:
            continue
        readings = _shares_of(total, plan, kpi.baseline, period.end)
        entered = min(period.end + timedelta(days=5), today)
        with flushed_at(_at(entered)):
            breakdown.save_readings(leader, kpi, readings)


def _shares_of(total: Decimal, plan, baseline: Decimal, period_end: date) -> dict:
    """The task force's gain since the baseline split by each unit's planned gain and pace,
    to one decimal; the largest unit takes the rounding, so the units add up to ``total``."""
    weights = {
        unit.id: Decimal(str((row["final"] - row["baseline"]) * row["pace"])) for unit, row in plan
    }
    whole = sum(weights.values())
    gain = total - baseline
    values = {
        unit.id: (Decimal(row["baseline"]) + gain * weights[unit.id] / whole).quantize(
            Decimal("0.1")
        )
        for unit, row in plan
    }
    largest = max(plan, key=lambda pair: pair[1]["baseline"])[0].id
    values[largest] += total - sum(values.values())
    return {(unit_id, period_end): breakdown.ReadingValue(v) for unit_id, v in values.items()}


def _adjust(kpi: Kpi, users, plan, periods, today: date) -> None:
    """The executive leader moves part of one unit's quarter target to another's."""
    change = BREAKDOWN["adjustment"]
    if len(periods) < change["period"]:
        return
    period = periods[change["period"] - 1]
    names = {row["name"]: unit for unit, row in plan}
    giver, taker = names.get(change["from"]), names.get(change["to"])
    if giver is None or taker is None:
        return
    moved = Decimal(change["amount"])
    found = breakdown.matrix(kpi, today)
    cells = {
        (row.unit.org_unit_id, cell.period.end): cell.target
        for row in found.rows
        for cell in row.cells
    }
    day = kpi.baseline_on.replace(month=change["month"], day=1) if kpi.baseline_on else today
    with flushed_at(_at(min(day, today))):
        breakdown.save_targets(
            users[change["by"]],
            kpi,
            {
                (giver.id, period.end): cells[(giver.id, period.end)] - moved,
                (taker.id, period.end): cells[(taker.id, period.end)] + moved,
            },
        )
