"""The intake's section of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

``service.figures_of`` (the triage page's figures) over the submissions made during the
quarter: per dimension, how many became issues.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, hooks
from app.intake import service

ROWS = 10  # dimensions listed


def build(task_force_id: int, quarter) -> dict:
    figures = service.figures_of(
        task_force_id,
        since=clock.start_of_day(quarter.first_day),
        until=clock.start_of_day(quarter.next().first_day),
    )
    return {
        "intake": figures,
        "rows": figures.by_category[:ROWS],
        "figures": [
            (
                _("Ideas submitted / became issues"),
                f"{figures.total} / {figures.became_issues + figures.merged}",
            )
        ],
    }


SECTION = hooks.ReviewSection("intake", 92, _l("Intake figures"), "intake/_review.html", build)
