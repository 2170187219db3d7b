"""The meetings' section of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

``service.figures`` over the quarter, as ``/meetings/figures?from=…&to=…`` shows them:
held against planned per series and cadence, attendance, action items done on time.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import hooks
from app.meetings import service

PEOPLE = 12  # attendance lines listed


def build(task_force_id: int, quarter) -> dict:
    figures = service.figures(task_force_id, quarter.first_day, quarter.last_day)
    planned = sum(row["planned"] for row in figures.per_series)
    held = sum(row["held"] for row in figures.per_series)
    invited = sum(row["invited"] for row in figures.attendance)
    present = sum(row["present"] for row in figures.attendance)
    rate = round(100 * present / invited) if invited else None
    return {
        "meetings": figures,
        "planned": planned,
        "held": held,
        "rate": rate,
        "people": figures.attendance[:PEOPLE],
        "figures": [
            (_("Meetings held / planned"), f"{held} / {planned}"),
            (_("Attendance rate"), "—" if rate is None else f"{rate}%"),
            (
                _("Action items done (on time) / total"),
                f"{figures.actions_done} ({figures.actions_on_time}) / {figures.actions_total}",
            ),
        ],
    }


SECTION = hooks.ReviewSection("meetings", 80, _l("Meetings"), "meetings/_review.html", build)
