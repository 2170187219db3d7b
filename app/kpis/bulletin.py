"""The goal figures' section of the monthly supervision bulletin (core.hooks.BULLETIN_SECTIONS):
the org units behind pace on the broken-down goal figures on the month's last day (today,
for the month under way), as ``by_unit.behind_pace`` reads them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import clock, hooks
from app.core.quarters import Month
from app.kpis import by_unit


def behind_pace_section(task_force_id: int, month: Month) -> dict:
    day = min(month.last_day, clock.today())
    return {"behind_pace": by_unit.behind_pace(task_force_id, day), "day": day}


SECTION = hooks.BulletinSection(
    "behind_pace",
    70,
    _l("Org units behind pace on goal figures"),
    "kpis/_bulletin.html",
    behind_pace_section,
)
