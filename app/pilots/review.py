"""The pilots' section of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

The pilots as the pilot list shows them (``service.pilot_rows``: stage, decision,
rollout coverage done/applicable, as they stand now), those begun by the quarter's end.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import hooks
from app.pilots import service
from app.pilots.models import FINISHED

ROWS = 12  # pilots listed; the figures count them all


def build(task_force_id: int, quarter) -> dict:
    rows = [
        row
        for row in service.pilot_rows(task_force_id)
        if row.pilot.starts_on is None or row.pilot.starts_on <= quarter.last_day
    ]
    done = sum(row.coverage.done for row in rows if row.coverage)
    applicable = sum(row.coverage.applicable for row in rows if row.coverage)
    total = service.Coverage(done, applicable)
    active = sum(1 for row in rows if row.pilot.status not in FINISHED)
    coverage = f"{done}/{applicable}" + (f" · {total.percent}%" if applicable else "")
    return {
        "rows": rows[:ROWS],
        "more": max(len(rows) - ROWS, 0),
        "total": len(rows),
        "active": active,
        "coverage": total,
        "figures": [
            (_("Pilots (under way)"), f"{len(rows)} ({active})"),
            (_("Rollout coverage (done/applicable)"), coverage),
        ],
    }


SECTION = hooks.ReviewSection(
    "pilots", 70, _l("Pilots and rollout coverage"), "pilots/_review.html", build
)
