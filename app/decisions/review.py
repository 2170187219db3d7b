"""The decisions' sections of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

Escalations and decisions (order 60): the decision register filtered on the quarter's
raising dates (``/decisions?raised_from=…&raised_to=…`` shows the same figures), its
figures by kind and level and its latest rows. The leader's instructions (order 65): each
one written in the quarter, and whether it was answered (carried out). Scorecards and
recognition (order 90): the member scorecard over the quarter
(``/scorecards?start=…&end=…``), top lines only, and the incentives recorded in the quarter.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.core import hooks
from app.decisions import scorecards as cards
from app.decisions import service
from app.decisions.models import POSITIVE, Incentive
from app.decisions.service import instructions
from app.extensions import db

ROWS = 10  # decisions listed; the figures count them all
TOP = 8  # scorecard lines


def _filters(quarter) -> service.RegisterFilter:
    return service.RegisterFilter(raised_from=quarter.first_day, raised_to=quarter.last_day)


def _days(value: float | None) -> str:
    return "—" if value is None else _("%(n)s days", n=value)


def decisions_section(task_force_id: int, quarter) -> dict:
    filters = _filters(quarter)
    figures = service.figures_of_register(task_force_id, filters)
    rows = service.rows_of_register(task_force_id, filters, limit=ROWS)
    return {
        "register": figures,
        "rows": rows,
        "more": max(figures.total - len(rows), 0),
        "figures": [
            (_("Escalations raised this quarter"), figures.total),
            (_("Decisions taken on them"), figures.decided),
            (_("Median time to decision"), _days(figures.median_days)),
            (_("Decisions overdue now"), figures.overdue_now),
        ],
    }


def instructions_section(task_force_id: int, quarter) -> dict:
    """The leader's instructions written in the quarter and whether each was carried out
    (answered)."""
    rows = instructions.instructions_between(task_force_id, quarter.first_day, quarter.last_day)
    answered = sum(1 for row in rows if row.instruction.answered_at is not None)
    return {
        "rows": rows,
        "answered": answered,
        "figures": [
            (_("Leader's instructions written this quarter"), len(rows)),
            (_("Instructions answered (carried out)"), f"{answered} / {len(rows)}"),
        ],
    }


def scorecards_section(task_force_id: int, quarter) -> dict:
    period = cards.Period(quarter.first_day, quarter.last_day)
    lines = cards.scorecard_lines(task_force_id, period, cards.BY_MEMBER, "-closed")
    counts = dict(
        db.session.execute(
            select(Incentive.polarity, func.count(Incentive.id))
            .where(
                Incentive.task_force_id == task_force_id,
                Incentive.awarded_on >= period.start,
                Incentive.awarded_on <= period.end,
            )
            .group_by(Incentive.polarity)
        ).all()
    )
    positive = counts.get(POSITIVE, 0)
    negative = sum(counts.values()) - positive
    return {
        "lines": lines[:TOP],
        "members": len(lines),
        "positive": positive,
        "negative": negative,
        "figures": [(_("Incentives recorded (positive / negative)"), f"{positive} / {negative}")],
    }


SECTIONS = (
    hooks.ReviewSection(
        "decisions",
        60,
        _l("Escalations and decisions"),
        "decisions/_review_decisions.html",
        decisions_section,
    ),
    hooks.ReviewSection(
        "instructions",
        65,
        _l("Leader's instructions"),
        "decisions/_review_instructions.html",
        instructions_section,
    ),
    hooks.ReviewSection(
        "scorecards",
        90,
        _l("Scorecards and recognition"),
        "decisions/_review_scorecards.html",
        scorecards_section,
    ),
)
