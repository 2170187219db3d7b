"""What the quarterly review pack says about the problem list, as of the quarter's end.

For the current quarter the pack counts with the very columns and clauses the battle map
and the list use (``issues.service.headline_counts``, ``category_tree``, ``light_reasons``),
so each figure equals what the app shows today. For a finished quarter the same
clauses run over each item's state at the quarter's end, read from the audit trail in
SQL: its status then (the last status change before the cut-off, else the first one
after it tells what it was, else it never changed) and when it was closed. Deadlines,
owners and solutions are taken as they stand now.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock, hooks
from app.core.quarters import Quarter
from app.extensions import db
from app.issues.asof import AsOf, quarter_counts
from app.issues.lights import light_reasons
from app.issues.models import (
    BLOCKED,
    CLOSED,
    OPEN_STATUSES,
    PRIORITIES,
    Issue,
    Milestone,
)
from app.issues.service import category_tree, headline_counts

# --- the problem list's sections ------------------------------------------------------------


@dataclass
class Summary:
    problems: int
    closed: int
    open: int
    path_defined: int
    overdue: int
    closed_this_quarter: int
    raised_this_quarter: int

    @property
    def closed_share(self) -> int:
        return round(100 * self.closed / self.problems) if self.problems else 0


def summary(task_force_id: int, as_of: AsOf) -> Summary:
    """The headline figures and the quarter's own (one query): the quarter's are
    ``issues.asof.quarter_counts``, as on the battle map and the quarterly meeting."""
    quarter = quarter_counts(as_of)
    row = db.session.execute(
        select(
            *headline_counts(as_of.rules, as_of.status).values(),
            quarter["closed"],
            quarter["raised"],
        ).where(Issue.task_force_id == task_force_id, as_of.existed)
    ).one()
    return Summary(*row)


@dataclass
class DimensionRow:
    name: str
    depth: int
    total: int
    closed: int
    open: int

    @property
    def share(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0


def dimensions(task_force_id: int, as_of: AsOf) -> list[DimensionRow]:
    """Dimensions and sub-dimensions with their counts, as on the battle map (two queries)."""
    rows = category_tree(
        task_force_id, include_archived=False, status=as_of.status, where=(as_of.existed,)
    )
    return [
        DimensionRow(r.category.name, r.depth, r.total, r.closed, r.open)
        for r in rows
        if r.depth <= 1
    ]


def closed_items(task_force_id: int, as_of: AsOf) -> list[tuple[Issue, datetime]]:
    """Items closed during the quarter (and still closed at its end), in closing order."""
    closed_at = as_of.closed_at.label("closed_then")
    status = as_of.status
    stmt = (
        select(Issue, closed_at)
        .where(
            Issue.task_force_id == task_force_id,
            as_of.existed,
            status == CLOSED,
            as_of.closed_at >= as_of.start,
        )
        .options(joinedload(Issue.owner), joinedload(Issue.category))
        .order_by(closed_at, Issue.code)
    )
    return [(issue, clock.local_date(when)) for issue, when in db.session.execute(stmt).unique()]


class _MilestoneThen:
    """A milestone as it stood at the pack's day (done later means not done then)."""

    def __init__(self, milestone: Milestone, day: date):
        self.title = milestone.title
        self.starts_on = milestone.starts_on
        self.due_on = milestone.due_on
        self.done_on = milestone.done_on if milestone.done_on and milestone.done_on <= day else None

    def overdue_on(self, day: date) -> bool:
        return self.done_on is None and self.due_on < day


@dataclass
class ItemThen:
    """An open item as it stood at the pack's day: what ``light_reasons`` reads, and more."""

    issue: Issue
    status: str
    last_progress_at: datetime | None
    milestones: list[_MilestoneThen]
    day: date
    reasons: list[str] = field(default_factory=list)

    # light_reasons reads status, deadline, milestones, last_progress_at and created_at.
    @property
    def deadline(self):
        return self.issue.deadline

    @property
    def created_at(self):
        return self.issue.created_at

    @property
    def red(self) -> bool:
        return self.status == BLOCKED or (self.deadline is not None and self.deadline < self.day)


def open_items(task_force_id: int, as_of: AsOf) -> list[ItemThen]:
    """Items open at the pack's day with their milestones and light reasons (two queries)."""
    stmt = (
        as_of.issues(task_force_id, as_of.status.in_(OPEN_STATUSES))
        .add_columns(as_of.last_progress_at.label("progress_then"))
        .options(
            joinedload(Issue.owner),
            joinedload(Issue.category),
            selectinload(Issue.milestones),
        )
        .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.code)
    )
    items = []
    for issue, status, progress in db.session.execute(stmt).unique():
        item = ItemThen(
            issue=issue,
            status=status,
            last_progress_at=progress,
            milestones=[_MilestoneThen(m, as_of.day) for m in issue.milestones],
            day=as_of.day,
        )
        item.reasons = light_reasons(item, as_of.rules)
        items.append(item)
    return items


def priorities(items: list[ItemThen]) -> list[ItemThen]:
    """Next quarter's priorities: the open items by priority, then deadline."""
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    return sorted(
        items,
        key=lambda item: (
            rank.get(item.issue.priority, 9),
            not item.issue.major,
            item.deadline is None,
            item.deadline or date.max,
            item.issue.code,
        ),
    )


# --- the registry entries -------------------------------------------------------------------
# Each pack computes ``as_of`` and the open items once; the section builders receive the
# (task_force_id, quarter) the registry promises and read the shared values from
# ``PackData`` (set by the generator for the duration of one pack).


@dataclass
class PackData:
    task_force_id: int
    as_of: AsOf
    _open: list[ItemThen] | None = None

    @property
    def open(self) -> list[ItemThen]:
        if self._open is None:
            self._open = open_items(self.task_force_id, self.as_of)
        return self._open


# The pack being built in this thread (each background thread has its own).
_building: ContextVar[PackData | None] = ContextVar("review_pack_building", default=None)


@contextmanager
def building(data: PackData):
    """Share ``data`` with the section builders while one pack is built."""
    token = _building.set(data)
    try:
        yield data
    finally:
        _building.reset(token)


def current_pack(task_force_id: int, quarter: Quarter) -> PackData:
    data = _building.get()
    if data is not None and data.task_force_id == task_force_id and data.as_of.quarter == quarter:
        return data
    return PackData(task_force_id, AsOf.for_quarter(quarter))


def _dimensions_section(task_force_id: int, quarter: Quarter) -> dict:
    from app.reports.charts import dimension_chart

    rows = dimensions(task_force_id, current_pack(task_force_id, quarter).as_of)
    return {"rows": rows, "chart": dimension_chart(rows)}


def _closed_section(task_force_id: int, quarter: Quarter) -> dict:
    return {"entries": closed_items(task_force_id, current_pack(task_force_id, quarter).as_of)}


def _open_section(task_force_id: int, quarter: Quarter) -> dict:
    from app.reports.charts import schedule_chart

    data = current_pack(task_force_id, quarter)
    items = data.open
    return {
        "entries": items,
        "red": [item for item in items if item.red],
        "chart": schedule_chart(items, data.as_of.day),
    }


PRIORITY_LIST = 40  # the priorities section lists this many; the open items section has all


def _priorities_section(task_force_id: int, quarter: Quarter) -> dict:
    data = current_pack(task_force_id, quarter)
    following = quarter.next()
    items = priorities(data.open)

    def horizon(item: ItemThen) -> str:
        if item.deadline is None:
            return "none"
        if item.deadline <= quarter.last_day:
            return "overdue" if item.deadline < data.as_of.day else "this"
        return "next" if item.deadline <= following.last_day else "later"

    horizons = ("overdue", "this", "next", "later", "none")
    matrix = {p: dict.fromkeys(horizons, 0) for p in PRIORITIES}
    for item in items:
        matrix.setdefault(item.issue.priority, dict.fromkeys(horizons, 0))[horizon(item)] += 1
    return {
        "entries": items[:PRIORITY_LIST],
        "more": max(len(items) - PRIORITY_LIST, 0),
        "total": len(items),
        "matrix": matrix,
        "horizons": horizons,
        "next_quarter": following,
        "next_label": _("Q%(n)d %(year)d", n=following.number, year=following.year),
        "due_next_quarter": sum(
            1 for item in items if item.deadline and item.deadline <= following.last_day
        ),
    }


PROBLEM_LIST_SECTIONS = (
    hooks.ReviewSection(
        "dimensions",
        30,
        _l("Progress by dimension"),
        "reports/_dimensions.html",
        _dimensions_section,
    ),
    hooks.ReviewSection(
        "closed", 40, _l("Items closed this quarter"), "reports/_closed.html", _closed_section
    ),
    hooks.ReviewSection(
        "open", 50, _l("Open items and landing schedule"), "reports/_open.html", _open_section
    ),
    hooks.ReviewSection(
        "priorities",
        100,
        _l("Next quarter's priorities"),
        "reports/_priorities.html",
        _priorities_section,
    ),
)
