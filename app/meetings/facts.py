"""What the meetings say of a quarter, for the review narrative's pre-fill
(``core.hooks.REVIEW_FACTS``): the way of working written against the “four keeps”
(四盯) — meetings held against planned (盯紧), action items done on time (盯实)."""

from __future__ import annotations

from flask_babel import gettext as _

from app.core.hooks import NarrativeFact
from app.core.quarters import Quarter
from app.meetings import service


def facts(task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]:
    figures = service.figures(task_force_id, quarter.first_day, quarter.last_day)
    planned = sum(row["planned"] for row in figures.per_series)
    held = sum(row["held"] for row in figures.per_series)
    if not planned and not figures.actions_total:
        return []
    invited = sum(row["invited"] for row in figures.attendance)
    present = sum(row["present"] for row in figures.attendance)
    lines = [
        _(
            "- Keep on it closely: %(held)d of %(planned)d planned meetings held "
            "this quarter, attendance %(rate)s.",
            held=held,
            planned=planned,
            rate=f"{round(100 * present / invited)}%" if invited else "—",
        )
    ]
    if figures.actions_total:
        lines.append(
            _(
                "- Keep it real: %(done)d of %(total)d action items from meetings done, "
                "%(on_time)d on time.",
                done=figures.actions_done,
                total=figures.actions_total,
                on_time=figures.actions_on_time,
            )
        )
    if figures.one_on_one_counterparts:
        lines.append(
            _(
                "- One-on-one talks: %(met)d of %(all)d counterparts met.",
                met=figures.one_on_one_met,
                all=figures.one_on_one_counterparts,
            )
        )
    return [NarrativeFact("mechanisms", 20, "\n".join(lines))]
