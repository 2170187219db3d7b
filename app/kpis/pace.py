"""The arithmetic of a broken-down KPI (目标任务分解): periods, roll-ups, attainment, lights.

Plain values in, plain values out; nothing here reads the database. A target and a reading
are the figure as it stands at a period's end (a balance at the quarter's end, sales since
the start of the year), so a unit's last period's target is its share of the year's goal
and its targets, period by period, are its planned path there.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.core.quarters import Quarter
from app.kpis.models import DOWN, MONTH, QUARTER, RATIO, SUM, WEIGHTED

GREEN = "green"
YELLOW = "yellow"
RED = "red"
LIGHT_ORDER = {RED: 0, YELLOW: 1, GREEN: 2}


@dataclass(frozen=True, order=True)
class Period:
    """One step on the way to the target: it ends on ``end``; ``label`` is 2026Q3 or 2026-09."""

    end: date
    label: str


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def period_end(kind: str, day: date) -> date:
    """The last day of the quarter or month that holds ``day``."""
    if kind == QUARTER:
        return Quarter.of(day).last_day
    return _month_end(day)


def period_label(kind: str, day: date) -> str:
    return str(Quarter.of(day)) if kind == QUARTER else f"{day.year}-{day.month:02d}"


def periods(kind: str | None, start: date | None, end: date | None) -> list[Period]:
    """The quarters or months after ``start`` up to ``end``; the last one ends on ``end``
    itself when the target's day is not a period's end. Empty without both days."""
    if kind not in (QUARTER, MONTH) or start is None or end is None or end <= start:
        return []
    steps = []
    day = period_end(kind, start + timedelta(days=1))
    while day < end:
        steps.append(Period(day, period_label(kind, day)))
        day = period_end(kind, day + timedelta(days=1))
    steps.append(Period(end, period_label(kind, end)))
    return steps


def ratio_value(numerator: Decimal, denominator: Decimal, percent: bool) -> Decimal:
    """A rate from its parts (×100 for a percentage)."""
    value = numerator / denominator
    return (value * 100 if percent else value).quantize(Decimal("0.0001"))


def roll_up(
    aggregation: str,
    values: Iterable[tuple[Decimal, Decimal | None, Decimal | None, Decimal | None]],
    percent: bool,
) -> Decimal | None:
    """The task force's figure from its units' ``(value, weight, numerator, denominator)``.

    Sum: Σ value. Weighted: Σ value·weight ÷ Σ weight. Ratio: Σ numerator ÷ Σ denominator,
    recomputed (never the average of the units' rates). None when nothing can be summed.
    """
    rows = list(values)
    if not rows:
        return None
    if aggregation == SUM:
        return sum((value for value, *_rest in rows), Decimal(0))
    if aggregation == WEIGHTED:
        weights = sum((w for _v, w, _n, _d in rows if w), Decimal(0))
        if not weights:
            return None
        total = sum((v * w for v, w, _n, _d in rows if w), Decimal(0))
        return (total / weights).quantize(Decimal("0.0001"))
    if aggregation == RATIO:
        numerators = sum((n for _v, _w, n, d in rows if n is not None and d), Decimal(0))
        denominators = sum((d for _v, _w, n, d in rows if n is not None and d), Decimal(0))
        if not denominators:
            return None
        return ratio_value(numerators, denominators, percent)
    raise ValueError(f"unknown aggregation {aggregation!r}")


def attainment(actual: Decimal, target: Decimal, direction: str) -> float | None:
    """How much of the period's target is reached (1.0 = exactly): actual ÷ target, or
    target ÷ actual where lower is better. None where a zero makes it meaningless."""
    if direction == DOWN:
        return float(target / actual) if actual > 0 else None
    return float(actual / target) if target > 0 else None


def light(actual: Decimal, target: Decimal, direction: str, tolerance: Decimal) -> str:
    """Green on or ahead of the period's target, yellow short by at most ``tolerance``
    points of attainment, red further behind."""
    ahead = actual <= target if direction == DOWN else actual >= target
    if ahead:
        return GREEN
    reached = attainment(actual, target, direction)
    if reached is not None and reached * 100 >= 100 - float(tolerance):
        return YELLOW
    return RED


def growth(actual: Decimal, before: Decimal | None) -> float | None:
    """The change from ``before`` as a share of it (+0.16 = 16 % up)."""
    if before is None or not before:
        return None
    return float((actual - before) / abs(before))


def progress(actual: Decimal, baseline: Decimal | None, goal: Decimal | None) -> float | None:
    """Share of the way from the unit's baseline to its final target."""
    if baseline is None or goal is None or goal == baseline:
        return None
    return float((actual - baseline) / (goal - baseline))
