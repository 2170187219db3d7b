"""A broken-down KPI as it stood on a day: each unit's cells with their lights, the
task force's totals, the ranking, the units behind pace. Four queries read every
broken-down KPI of a task force, whatever the units and periods (``matrices``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import clock
from app.extensions import db
from app.kpis import pace
from app.kpis.models import RATIO, SUM, Kpi, KpiUnit, KpiUnitReading, KpiUnitTarget

Cell = tuple[int, date]  # (org unit id, period end)


def plan_periods(kpi: Kpi) -> list[pace.Period]:
    return pace.periods(kpi.breakdown, kpi.baseline_on, kpi.target_on)


# --- reading the matrix --------------------------------------------------------------------


@dataclass(frozen=True)
class CellView:
    period: pace.Period
    target: Decimal | None
    reading: KpiUnitReading | None
    light: str | None
    attainment: float | None

    @property
    def actual(self) -> Decimal | None:
        return self.reading.value if self.reading is not None else None


@dataclass
class UnitRow:
    unit: KpiUnit
    cells: list[CellView]
    latest: CellView | None = None  # the last period read by the day
    missing: pace.Period | None = None  # the last period ended by the day, not read
    progress: float | None = None  # of the way from the unit's baseline to its final target
    planned: float | None = None  # where the plan had it by the latest period read
    growth: float | None = None  # against the unit's baseline
    year_on_year: float | None = None  # against the same period a year before
    rank: int | None = None

    @property
    def name(self) -> str:
        return self.unit.org_unit.name

    @property
    def light(self) -> str | None:
        return self.latest.light if self.latest else None

    @property
    def attainment(self) -> float | None:
        return self.latest.attainment if self.latest else None

    @property
    def final_target(self) -> Decimal | None:
        return self.cells[-1].target if self.cells else None

    @property
    def behind(self) -> bool:
        return self.light in (pace.RED, pace.YELLOW)


@dataclass(frozen=True)
class TotalView:
    period: pace.Period
    target: Decimal | None  # the units' targets rolled up (sum or weighted); None for a ratio
    actual: Decimal | None  # the roll-up of the units' readings, once all have reported
    reported: int


@dataclass
class Matrix:
    kpi: Kpi
    day: date
    periods: list[pace.Period]
    rows: list[UnitRow]
    totals: list[TotalView]

    @property
    def ranking(self) -> list[UnitRow]:
        """Units by attainment of their latest period, best first; unread ones last."""
        return sorted(
            self.rows,
            key=lambda r: (r.attainment is None, -(r.attainment or 0), r.unit.sort_order),
        )

    @property
    def behind(self) -> list[UnitRow]:
        """Units behind pace, the furthest behind first."""
        return sorted(
            (r for r in self.rows if r.behind),
            key=lambda r: (pace.LIGHT_ORDER[r.light], r.attainment or 0),
        )

    @property
    def target_sum(self) -> Decimal | None:
        """The units' final targets summed (a summed KPI only), to hold against the task
        force's target."""
        if self.kpi.aggregation != SUM or not self.totals:
            return None
        return self.totals[-1].target

    @property
    def target_differs(self) -> bool:
        total = self.target_sum
        return total is not None and total.compare(self.kpi.target) != 0

    @property
    def units_count(self) -> int:
        return len(self.rows)


def matrices(
    task_force_id: int,
    day: date | None = None,
    kpi_ids: list[int] | None = None,
    org_unit_id: int | None = None,
) -> list[Matrix]:
    """Every broken-down open KPI of the task force (or those of ``kpi_ids``; or those
    ``org_unit_id`` carries, with that unit's row only) as it stood on ``day``: four
    queries, whatever the KPIs, units and periods."""
    day = day or clock.today()
    query = (
        select(Kpi)
        .where(
            Kpi.task_force_id == task_force_id,
            Kpi.archived_at.is_(None),
            Kpi.breakdown.is_not(None),
        )
        .order_by(Kpi.sort_order, Kpi.id)
    )
    if kpi_ids is not None:
        query = query.where(Kpi.id.in_(kpi_ids))
    if org_unit_id is not None:
        query = query.where(
            Kpi.id.in_(select(KpiUnit.kpi_id).where(KpiUnit.org_unit_id == org_unit_id))
        )
    kpis = list(db.session.scalars(query))
    if not kpis:
        return []
    ids = [k.id for k in kpis]
    unit_query = (
        select(KpiUnit)
        .where(KpiUnit.kpi_id.in_(ids))
        .options(joinedload(KpiUnit.org_unit))
        .order_by(KpiUnit.sort_order, KpiUnit.id)
    )
    if org_unit_id is not None:
        unit_query = unit_query.where(KpiUnit.org_unit_id == org_unit_id)
    units = defaultdict(list)
    for unit in db.session.scalars(unit_query):
        units[unit.kpi_id].append(unit)
    targets: dict[int, dict[Cell, Decimal]] = defaultdict(dict)
    for kpi_id, unit_id, period, value in db.session.execute(
        select(
            KpiUnitTarget.kpi_id,
            KpiUnitTarget.org_unit_id,
            KpiUnitTarget.period,
            KpiUnitTarget.value,
        ).where(KpiUnitTarget.kpi_id.in_(ids))
    ):
        targets[kpi_id][(unit_id, period)] = value
    readings: dict[int, dict[Cell, KpiUnitReading]] = defaultdict(dict)
    for reading in db.session.scalars(
        select(KpiUnitReading).where(KpiUnitReading.kpi_id.in_(ids), KpiUnitReading.period <= day)
    ):
        readings[reading.kpi_id][(reading.org_unit_id, reading.period)] = reading
    return [
        _matrix(kpi, day, units[kpi.id], targets[kpi.id], readings[kpi.id], org_unit_id is None)
        for kpi in kpis
    ]


def matrix(kpi: Kpi, day: date | None = None) -> Matrix | None:
    found = matrices(kpi.task_force_id, day, kpi_ids=[kpi.id])
    return found[0] if found else None


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _matrix(kpi, day, units, targets, readings, whole: bool) -> Matrix:
    steps = plan_periods(kpi)
    ended = [p for p in steps if p.end <= day]
    rows = []
    for unit in units:
        cells = []
        for period in steps:
            target = targets.get((unit.org_unit_id, period.end))
            reading = readings.get((unit.org_unit_id, period.end))
            light = reached = None
            if reading is not None and target is not None:
                light = pace.light(reading.value, target, kpi.direction, kpi.tolerance)
                reached = pace.attainment(reading.value, target, kpi.direction)
            cells.append(CellView(period, target, reading, light, reached))
        row = UnitRow(unit, cells)
        read = [c for c in cells if c.reading is not None]
        if read:
            row.latest = read[-1]
            actual = row.latest.actual
            row.progress = pace.progress(actual, unit.baseline, row.final_target)
            if row.latest.target is not None:
                row.planned = pace.progress(row.latest.target, unit.baseline, row.final_target)
            row.growth = pace.growth(actual, unit.baseline)
            before = readings.get((unit.org_unit_id, _year_before(row.latest.period.end)))
            row.year_on_year = pace.growth(actual, before.value) if before else None
        if ended and readings.get((unit.org_unit_id, ended[-1].end)) is None:
            row.missing = ended[-1]
        rows.append(row)
    for rank, row in enumerate(
        sorted((r for r in rows if r.attainment is not None), key=lambda r: -r.attainment), 1
    ):
        row.rank = rank
    totals = []
    if whole:
        weights = {u.org_unit_id: u.weight for u in units}
        for period in steps:
            unit_targets = [targets.get((u.org_unit_id, period.end)) for u in units]
            target = None
            if kpi.aggregation != RATIO and units and all(t is not None for t in unit_targets):
                target = pace.roll_up(
                    kpi.aggregation,
                    (
                        (t, weights[u.org_unit_id], None, None)
                        for t, u in zip(unit_targets, units, strict=True)
                    ),
                    kpi.unit == "percent",
                )
            read = [readings.get((u.org_unit_id, period.end)) for u in units]
            present = [r for r in read if r is not None]
            actual = None
            if units and len(present) == len(units):
                actual = pace.roll_up(
                    kpi.aggregation,
                    (
                        (r.value, weights[r.org_unit_id], r.numerator, r.denominator)
                        for r in present
                    ),
                    kpi.unit == "percent",
                )
            totals.append(TotalView(period, target, actual, len(present)))
    return Matrix(kpi, day, steps, rows, totals)


def behind_pace(task_force_id: int, day: date | None = None) -> list[tuple[Matrix, UnitRow]]:
    """Every unit behind pace on any broken-down KPI, the furthest behind first."""
    return furthest_behind(matrices(task_force_id, day))


def furthest_behind(found: list[Matrix]) -> list[tuple[Matrix, UnitRow]]:
    """The units behind pace in ``found``: red before yellow, the lowest attainment first."""
    pairs = [(m, row) for m in found for row in m.behind]
    return sorted(
        pairs, key=lambda pair: (pace.LIGHT_ORDER[pair[1].light], pair[1].attainment or 0)
    )


@dataclass(frozen=True)
class UnitResult:
    """How an org unit does on the KPIs it carries: for the scorecards."""

    carried: int
    green: int
    yellow: int
    red: int
    attainment: float | None  # the mean attainment of its latest periods

    @property
    def light(self) -> str | None:
        if self.red:
            return pace.RED
        if self.yellow:
            return pace.YELLOW
        return pace.GREEN if self.green else None


def results_by_unit(task_force_id: int, day: date | None = None) -> dict[int, UnitResult]:
    """Per org unit: how many broken-down KPIs it carries and its lights on them."""
    gathered: dict[int, list[UnitRow]] = defaultdict(list)
    for m in matrices(task_force_id, day):
        for row in m.rows:
            gathered[row.unit.org_unit_id].append(row)
    results = {}
    for unit_id, rows in gathered.items():
        reached = [r.attainment for r in rows if r.attainment is not None]
        results[unit_id] = UnitResult(
            carried=len(rows),
            green=sum(r.light == pace.GREEN for r in rows),
            yellow=sum(r.light == pace.YELLOW for r in rows),
            red=sum(r.light == pace.RED for r in rows),
            attainment=sum(reached) / len(reached) if reached else None,
        )
    return results
