"""Targets broken down (目标任务分解): a KPI's units, their targets and readings per period.

The leader and the executive leader (``kpi.manage``) choose the org units that carry a KPI
and the periods on the way to its target (quarters or months from the baseline's day to
the target's), then set each unit's target per period and enter each unit's reading. The
task force's reading of a period is the roll-up of its units' by the KPI's rule (see
``pace.roll_up``), written when every unit has reported. Every change of a target is kept
(``KpiTargetChange``) and audited. Reading the matrix costs a fixed number of queries
whatever the number of units, periods and KPIs (``matrices``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import StaleEdit, ValidationFailed
from app.core.permissions import authorize
from app.core.service import check_version
from app.extensions import db
from app.kpis import pace
from app.kpis.models import (
    AGGREGATIONS,
    BREAKDOWN_PERIODS,
    RATIO,
    SUM,
    Kpi,
    KpiReading,
    KpiTargetChange,
    KpiUnit,
    KpiUnitReading,
    KpiUnitTarget,
)
from app.kpis.service import put_reading
from app.kpis.service.matrix import (  # noqa: F401  (the matrix's names, read through here)
    Cell,
    CellView,
    Matrix,
    TotalView,
    UnitResult,
    UnitRow,
    behind_pace,
    furthest_behind,
    matrices,
    matrix,
    plan_periods,
    results_by_unit,
)
from app.people.models import User
from app.people.service import org_unit_options

# The note on a task-force reading that the units' readings made.
ROLL_UP_NOTE = "各单位汇总"
MAX_UNITS = 60
HISTORY_SHOWN = 50

# --- the plan ------------------------------------------------------------------------------


@dataclass
class BreakdownInput:
    kind: str | None  # quarter / month; None: not broken down
    aggregation: str
    tolerance: Decimal
    unit_ids: list[int] = field(default_factory=list)


def kpi_units(kpi: Kpi) -> list[KpiUnit]:
    return list(
        db.session.scalars(
            select(KpiUnit)
            .where(KpiUnit.kpi_id == kpi.id)
            .options(joinedload(KpiUnit.org_unit))
            .order_by(KpiUnit.sort_order, KpiUnit.id)
        )
    )


def _has_figures(kpi_id: int, unit_ids: list[int] | None = None) -> bool:
    for model in (KpiUnitTarget, KpiUnitReading):
        query = select(model.id).where(model.kpi_id == kpi_id)
        if unit_ids is not None:
            query = query.where(model.org_unit_id.in_(unit_ids))
        if db.session.scalar(query.limit(1)) is not None:
            return True
    return False


def _check_breakdown(kpi: Kpi, data: BreakdownInput, current: list[KpiUnit]) -> list[int]:
    """The units taken off; refuses what would drop entered figures or cannot be."""
    if data.kind is not None and data.kind not in BREAKDOWN_PERIODS:
        raise ValidationFailed(_("Choose quarters or months."), "kind")
    if data.aggregation not in AGGREGATIONS:
        raise ValidationFailed(_("Unknown roll-up rule."), "aggregation")
    if not Decimal(0) <= data.tolerance <= Decimal(100):
        raise ValidationFailed(_("The tolerance is between 0 and 100 points."), "tolerance")
    if data.aggregation == RATIO and kpi.unit != "percent":
        raise ValidationFailed(_("A recomputed ratio is for a KPI measured in %."), "aggregation")
    if data.kind is not None:
        if kpi.baseline_on is None or kpi.target_on is None:
            raise ValidationFailed(
                _(
                    "Set the baseline's day and the target's day first: "
                    "the periods run between them."
                ),
                "kind",
            )
        if not data.unit_ids:
            raise ValidationFailed(_("Choose the units that carry the figure."), "unit_ids")
    if len(set(data.unit_ids)) > MAX_UNITS:
        raise ValidationFailed(_("At most %(n)d units.", n=MAX_UNITS), "unit_ids")
    known = {uid for uid, _name in org_unit_options()}
    if not set(data.unit_ids) <= known:
        raise ValidationFailed(_("Unknown org unit."), "unit_ids")

    dropped = [u.org_unit_id for u in current if u.org_unit_id not in set(data.unit_ids)]
    if dropped and _has_figures(kpi.id, dropped):
        names = "、".join(u.org_unit.name for u in current if u.org_unit_id in dropped)
        raise ValidationFailed(
            _(
                "%(names)s already have targets or readings; "
                "empty their cells in the grids before taking the unit off.",
                names=names,
            ),
            "unit_ids",
        )
    if data.kind != kpi.breakdown and kpi.breakdown is not None and _has_figures(kpi.id):
        raise ValidationFailed(
            _(
                "Targets or readings are entered by the current periods; "
                "empty their cells in the grids before changing the periods."
            ),
            "kind",
        )
    if data.aggregation != kpi.aggregation and _has_figures(kpi.id):
        raise ValidationFailed(
            _(
                "Readings and targets are entered under the current roll-up rule; "
                "empty their cells in the grids before changing it."
            ),
            "aggregation",
        )

    return dropped


def set_breakdown(actor: User, kpi: Kpi, data: BreakdownInput, version: int | None) -> dict:
    """Choose the periods, the roll-up rule, the tolerance and the units of ``kpi``.

    Targets and readings already entered are never dropped by this: a unit that has some
    stays, and the periods' kind stays while any exist.
    :raise ValidationFailed: naming the field at fault.
    """
    authorize(actor, "kpi.manage", kpi.task_force_id)
    check_version(kpi, version)
    current = kpi_units(kpi)
    dropped = _check_breakdown(kpi, data, current)
    changes = audit.apply_changes(
        kpi, {"breakdown": data.kind, "aggregation": data.aggregation, "tolerance": data.tolerance}
    )
    old_ids = [u.org_unit_id for u in current]
    wanted = list(dict.fromkeys(data.unit_ids))
    if old_ids != wanted:
        changes["units"] = [old_ids, wanted]
        by_unit = {u.org_unit_id: u for u in current}
        for unit_id in dropped:
            db.session.delete(by_unit[unit_id])
        for order, unit_id in enumerate(wanted):
            row = by_unit.get(unit_id)
            if row is None:
                db.session.add(
                    KpiUnit(
                        task_force_id=kpi.task_force_id,
                        kpi_id=kpi.id,
                        org_unit_id=unit_id,
                        sort_order=order,
                    )
                )
            else:
                row.sort_order = order
    if changes:
        audit.record(actor, "breakdown_set", kpi, changes, summary=kpi.name)
    db.session.flush()
    return changes


# --- cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingValue:
    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def _number_text(value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value.normalize())


def _cell_name(names: dict[int, str], kind: str, cell: Cell) -> str:
    unit_id, period = cell
    return f"{names.get(unit_id, '?')} {pace.period_label(kind, period)}"


def _check_cells(kpi: Kpi, cells) -> dict[int, str]:
    """The units' names; refuses a cell outside the KPI's units and periods."""
    units = {u.org_unit_id: u.org_unit.name for u in kpi_units(kpi)}
    ends = {p.end for p in plan_periods(kpi)}
    for unit_id, period in cells:
        if unit_id not in units or period not in ends:
            raise ValidationFailed(_("A cell lies outside the units and periods of this KPI."))
    return units


def _refuse_stale(names, kind, rows: dict, cells, was: dict | None) -> None:
    """Refuse the save when a cell's figure is no longer what the form showed (``was``)."""
    if was is None:
        return
    stale = [
        cell
        for cell in cells
        if cell in was and (rows[cell].value if cell in rows else None) != was[cell]
    ]
    if stale:
        listed = "、".join(_cell_name(names, kind, cell) for cell in stale[:10])
        raise StaleEdit(
            _(
                "Someone changed %(cells)s since you opened the grid. Your entries are kept below; "
                "look at the current figures and save again.",
                cells=listed,
            )
        )


def save_targets(
    actor: User,
    kpi: Kpi,
    targets: dict[Cell, Decimal | None],
    was: dict[Cell, Decimal | None] | None = None,
    baselines: dict[int, Decimal | None] | None = None,
    weights: dict[int, Decimal | None] | None = None,
    how: str = "typed",
) -> int:
    """Set units' targets (None clears one) and their baselines and weights; returns how
    many figures changed. A cell whose figure is no longer what the form showed (``was``)
    refuses the whole save. Each change of a target is kept in the targets' history."""
    authorize(actor, "kpi.manage", kpi.task_force_id)
    if not kpi.breakdown:
        raise ValidationFailed(_("Choose the units and periods first."))
    names = _check_cells(kpi, targets)
    rows = {
        (t.org_unit_id, t.period): t
        for t in db.session.scalars(select(KpiUnitTarget).where(KpiUnitTarget.kpi_id == kpi.id))
    }
    _refuse_stale(names, kpi.breakdown, rows, targets, was)
    for cell, value in targets.items():
        if value is not None and value < 0 and kpi.aggregation == SUM:
            raise ValidationFailed(
                _(
                    "%(cell)s: a target cannot be below zero.",
                    cell=_cell_name(names, kpi.breakdown, cell),
                )
            )
    changes: dict[str, list] = {}
    now = clock.now()
    for cell, value in sorted(targets.items(), key=lambda item: (item[0][1], item[0][0])):
        row = rows.get(cell)
        old = row.value if row is not None else None
        if old == value or (old is not None and value is not None and old.compare(value) == 0):
            continue
        unit_id, period = cell
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(
                KpiUnitTarget(
                    task_force_id=kpi.task_force_id,
                    kpi_id=kpi.id,
                    org_unit_id=unit_id,
                    period=period,
                    value=value,
                )
            )
        else:
            row.value = value
        db.session.add(
            KpiTargetChange(
                task_force_id=kpi.task_force_id,
                kpi_id=kpi.id,
                org_unit_id=unit_id,
                period=period,
                old=old,
                new=value,
                changed_by_id=actor.id,
                changed_at=now,
            )
        )
        changes[_cell_name(names, kpi.breakdown, cell)] = [_number_text(old), _number_text(value)]
    _set_unit_figures(kpi, baselines or {}, weights or {}, changes)
    if changes:
        audit.record(
            actor,
            "targets_imported" if how == "imported" else "targets_set",
            kpi,
            changes,
            summary=kpi.name,
        )
    db.session.flush()
    return len(changes)


def _set_unit_figures(kpi: Kpi, baselines: dict, weights: dict, changes: dict) -> None:
    """Set the units' baselines and weights, noting each change in ``changes``."""
    units = {u.org_unit_id: u for u in kpi_units(kpi)}
    for label, given, attribute in (
        (_("baseline"), baselines, "baseline"),
        (_("weight"), weights, "weight"),
    ):
        for unit_id, value in given.items():
            unit = units.get(unit_id)
            if unit is None:
                raise ValidationFailed(_("Unknown org unit."))
            if attribute == "weight" and value is not None and value <= 0:
                raise ValidationFailed(
                    _("%(unit)s: a weight is above zero.", unit=unit.org_unit.name)
                )
            old = getattr(unit, attribute)
            if old == value or (old is not None and value is not None and old.compare(value) == 0):
                continue
            setattr(unit, attribute, value)
            changes[f"{unit.org_unit.name} {label}"] = [_number_text(old), _number_text(value)]


def save_readings(
    actor: User,
    kpi: Kpi,
    readings: dict[Cell, ReadingValue | None],
    was: dict[Cell, Decimal | None] | None = None,
    how: str = "typed",
) -> int:
    """Enter units' readings (None removes one); returns how many changed. A period that
    has not ended cannot be read; a ratio KPI takes each unit's numerator and denominator.
    The task force's reading of each period touched is rolled up again."""
    authorize(actor, "kpi.manage", kpi.task_force_id)
    if not kpi.breakdown:
        raise ValidationFailed(_("Choose the units and periods first."))
    names = _check_cells(kpi, readings)
    today = clock.today()
    rows = {
        (r.org_unit_id, r.period): r
        for r in db.session.scalars(select(KpiUnitReading).where(KpiUnitReading.kpi_id == kpi.id))
    }
    _refuse_stale(names, kpi.breakdown, rows, readings, was)
    changes: dict[str, list] = {}
    touched: set[date] = set()
    for cell, given in sorted(readings.items(), key=lambda item: (item[0][1], item[0][0])):
        unit_id, period = cell
        row = rows.get(cell)
        old = row.value if row is not None else None
        if given is not None and period > today:
            raise ValidationFailed(
                _(
                    "%(cell)s: the period has not ended yet.",
                    cell=_cell_name(names, kpi.breakdown, cell),
                )
            )
        if given is not None and kpi.aggregation == RATIO:
            given = _ratio(kpi, given, _cell_name(names, kpi.breakdown, cell))
        if not _write_reading(actor, kpi, cell, row, given):
            continue
        touched.add(period)
        new = given.value if given is not None else None
        changes[_cell_name(names, kpi.breakdown, cell)] = [_number_text(old), _number_text(new)]
    if changes:
        db.session.flush()
        for period in sorted(touched):
            _roll_up(actor, kpi, period, len(names))
        audit.record(
            actor,
            "unit_readings_imported" if how == "imported" else "unit_readings_set",
            kpi,
            changes,
            summary=kpi.name,
        )
    db.session.flush()
    return len(changes)


def _write_reading(
    actor: User, kpi: Kpi, cell: Cell, row: KpiUnitReading | None, given: ReadingValue | None
) -> bool:
    """Add, change or remove one unit's reading; whether anything changed."""
    if given is None:
        if row is None:
            return False
        db.session.delete(row)
        return True
    if row is None:
        db.session.add(
            KpiUnitReading(
                task_force_id=kpi.task_force_id,
                kpi_id=kpi.id,
                org_unit_id=cell[0],
                period=cell[1],
                value=given.value,
                numerator=given.numerator,
                denominator=given.denominator,
                entered_by_id=actor.id,
            )
        )
        return True
    same = (
        row.value.compare(given.value) == 0
        and row.numerator == given.numerator
        and row.denominator == given.denominator
    )
    if same:
        return False
    row.value, row.numerator, row.denominator = given.value, given.numerator, given.denominator
    row.entered_by_id = actor.id
    row.entered_at = clock.now()
    return True


def _ratio(kpi: Kpi, given: ReadingValue, cell_name: str) -> ReadingValue:
    """A ratio's reading with its rate computed from its parts."""
    if given.numerator is None or not given.denominator or given.denominator <= 0:
        raise ValidationFailed(
            _(
                "%(cell)s: a ratio needs its numerator and a denominator above zero.",
                cell=cell_name,
            )
        )
    return ReadingValue(
        pace.ratio_value(given.numerator, given.denominator, kpi.unit == "percent"),
        given.numerator,
        given.denominator,
    )


def _roll_up(actor: User, kpi: Kpi, period: date, unit_count: int) -> None:
    """Write the task force's reading of ``period`` once every unit has reported."""
    weights = {u.org_unit_id: u.weight for u in kpi_units(kpi)}
    rows = db.session.scalars(
        select(KpiUnitReading).where(
            KpiUnitReading.kpi_id == kpi.id, KpiUnitReading.period == period
        )
    ).all()
    reading = db.session.scalar(
        select(KpiReading).where(KpiReading.kpi_id == kpi.id, KpiReading.period == period)
    )
    total = (
        pace.roll_up(
            kpi.aggregation,
            ((r.value, weights.get(r.org_unit_id), r.numerator, r.denominator) for r in rows),
            kpi.unit == "percent",
        )
        if len(rows) == unit_count
        else None
    )
    if total is None:
        # A unit's reading was taken back: the roll-up it made no longer holds.
        if reading is not None and reading.note == ROLL_UP_NOTE:
            db.session.delete(reading)
        return
    put_reading(actor, kpi, period, total, ROLL_UP_NOTE)


@dataclass(frozen=True)
class TargetSave:
    """The changes of targets one person saved at once, as the history shows them."""

    changed_at: object
    changed_by: User | None
    changes: list[KpiTargetChange]


def target_history(kpi: Kpi, unit_id: int | None = None) -> list[TargetSave]:
    """The latest changes of the KPI's targets (of one unit's), newest first, by save."""
    saves: list[TargetSave] = []
    for change in _target_changes(kpi, unit_id):
        last = saves[-1] if saves else None
        if (
            last is not None
            and last.changed_at == change.changed_at
            and last.changed_by is change.changed_by
        ):
            last.changes.append(change)
        else:
            saves.append(TargetSave(change.changed_at, change.changed_by, [change]))
    return saves


def _target_changes(kpi: Kpi, unit_id: int | None) -> list[KpiTargetChange]:
    query = (
        select(KpiTargetChange)
        .where(KpiTargetChange.kpi_id == kpi.id)
        .options(joinedload(KpiTargetChange.org_unit), joinedload(KpiTargetChange.changed_by))
        .order_by(KpiTargetChange.id.desc())
        .limit(HISTORY_SHOWN)
    )
    if unit_id is not None:
        query = query.where(KpiTargetChange.org_unit_id == unit_id)
    return list(db.session.scalars(query))
