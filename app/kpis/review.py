"""The goal figures' section of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

Each KPI as the KPI list shows it for the pack's day (``service.standings``: the latest
reading up to then, target, progress, change vs baseline), and its trend chart drawn
by ``charts.chart_data_uri`` over the readings up to that day. The figures also go on
the pack's summary page. Under them, the units behind pace on the broken-down KPIs
(目标任务分解) that day (``by_unit.behind_pace``), their lights in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, hooks
from app.kpis import by_unit, charts, service

CHARTS = 4  # trend charts drawn (an SVG chart costs as much as a page); the table lists all


@dataclass(frozen=True)
class _KpiThen:
    """What ``kpi_chart`` reads of a KPI, with the readings up to the pack's day only."""

    id: int
    baseline: object
    target: object
    readings: list


def pack_day(quarter) -> object:
    """The day a pack's figures are read at: today in a quarter under way, else its end."""
    today = clock.today()
    return today if quarter.contains(today) else quarter.last_day


def build(task_force_id: int, quarter) -> dict:
    day = pack_day(quarter)
    rows = service.standings(task_force_id, day)
    charted = [
        (
            s,
            charts.chart_data_uri(
                _KpiThen(
                    s.kpi.id,
                    s.kpi.baseline,
                    s.kpi.target,
                    [r for r in s.kpi.readings if r.period <= day],
                ),
                width=640,
                height=200,
                small=True,
            ),
        )
        for s in rows[:CHARTS]
    ]
    figures = []
    for s in rows:
        progress = "—" if s.progress is None else f"{s.progress * 100:.0f}%"
        actual = "—" if s.actual is None else format_decimal(s.actual.normalize())
        figures.append(
            (
                _("%(name)s: latest / target", name=s.kpi.name),
                f"{actual} / {format_decimal(s.kpi.target.normalize())} ({progress})",
            )
        )
    behind = by_unit.behind_pace(
        task_force_id, day, [s.kpi.id for s in rows if s.kpi.breakdown is not None]
    )
    return {
        "rows": rows,
        "charts": charted,
        "day": day,
        "figures": figures,
        "behind_pace": behind,
    }


SECTION = hooks.ReviewSection(
    "kpis", 55, _l("Goal figures against target"), "kpis/_review.html", build
)
