"""A broken-down KPI (目标任务分解) as pages outside the goal figures show it: the units
behind pace (the battle map's panel, the review pack's table) and each org unit's results
(the scorecards by org unit, through ``core.hooks.UNIT_RESULTS``).

Each reads the matrices once (``breakdown.matrices``: four queries whatever the KPIs,
units and periods).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from app.core import hooks
from app.kpis.labels import LIGHT_LABELS
from app.kpis.service import breakdown as plan


@dataclass(frozen=True)
class BehindPace:
    """The units behind pace on every broken-down KPI, the furthest behind first;
    ``broken_down`` says whether any KPI is broken down at all."""

    broken_down: bool
    rows: list[tuple[plan.Matrix, plan.UnitRow]] = field(default_factory=list)


def behind_pace(
    task_force_id: int, day: date | None = None, kpi_ids: Iterable[int] | None = None
) -> BehindPace:
    """As ``breakdown.behind_pace``, and whether there is anything to be behind on.

    With ``kpi_ids`` (the broken-down ones among KPIs a page has read already) an empty
    list costs no query at all."""
    ids = None if kpi_ids is None else list(kpi_ids)
    if ids == []:
        return BehindPace(False)
    found = plan.matrices(task_force_id, day, kpi_ids=ids)
    return BehindPace(bool(found), plan.furthest_behind(found))


def unit_results(task_force_id: int, day: date, /) -> list[hooks.UnitResult]:
    """The provider of ``hooks.UNIT_RESULTS``: ``breakdown.results_by_unit`` in the
    ground floor's words."""
    return [
        hooks.UnitResult(
            org_unit_id=unit_id,
            carried=result.carried,
            on_pace=result.green,
            slightly_behind=result.yellow,
            behind=result.red,
            attainment=result.attainment,
            light=result.light,
            light_label=str(LIGHT_LABELS[result.light]) if result.light else "",
            endpoint="kpis.unit_kpis",
        )
        for unit_id, result in plan.results_by_unit(task_force_id, day).items()
    ]
