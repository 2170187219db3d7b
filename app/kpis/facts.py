"""What the goal figures say of a quarter, for the review narrative's pre-fill
(``core.hooks.REVIEW_FACTS``): each figure's latest reading against its target by the
pack's day (main results), and the org units behind pace on the broken-down ones
(problems)."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.core.hooks import NarrativeFact
from app.core.i18n import format_day
from app.core.quarters import Quarter
from app.kpis import by_unit, service
from app.kpis.labels import LIGHT_LABELS, UNIT_LABELS
from app.kpis.review import pack_day

LISTED = 8  # units behind pace named


def _number(value, unit: str | None = None) -> str:
    """A figure with its unit as one writes it: 975.2 亿元, 13.1%, 7 个."""
    if value is None:
        return "—"
    text = format_decimal(value.normalize())
    if unit == "percent":
        return text + "%"
    return f"{text} {UNIT_LABELS[unit]}" if unit in UNIT_LABELS else text


def facts(task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]:
    day = pack_day(quarter)
    rows = service.standings(task_force_id, day)
    if not rows:
        return []
    lines = []
    for s in rows:
        progress = "—" if s.progress is None else f"{s.progress * 100:.0f}%"
        lines.append(
            _(
                "- %(name)s: %(actual)s against a target of %(target)s (%(progress)s of the way)",
                name=s.kpi.name,
                actual=_number(s.actual, s.kpi.unit),
                target=_number(s.kpi.target, s.kpi.unit),
                progress=progress,
            )
        )
    head = _("Goal figures as of %(day)s:", day=format_day(day))
    found = [NarrativeFact("results", 20, head + "\n\n" + "\n".join(lines))]
    behind = by_unit.behind_pace(
        task_force_id, day, [s.kpi.id for s in rows if s.kpi.breakdown is not None]
    )
    if behind.rows:
        units = [
            _(
                "- %(unit)s · %(kpi)s: attainment %(share)s (%(light)s)",
                unit=row.name,
                kpi=matrix.kpi.name,
                share="—" if row.attainment is None else f"{row.attainment * 100:.0f}%",
                light=LIGHT_LABELS[row.light] if row.light else "—",
            )
            for matrix, row in behind.rows[:LISTED]
        ]
        if len(behind.rows) > LISTED:
            units.append(_("- and %(n)d more", n=len(behind.rows) - LISTED))
        found.append(
            NarrativeFact(
                "problems",
                20,
                _("%(n)d org units are behind pace on their goal figures:", n=len(behind.rows))
                + "\n\n"
                + "\n".join(units),
            )
        )
    return found
