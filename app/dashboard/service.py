"""The battle map's figures: its counts kept as the items change (``issues.tally``),
its lists each from one query.

The number of queries is fixed: it does not grow with the number of issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Row, select

from app.core.database import among_ids, constant, constant_in
from app.core.freshness import setup_value
from app.core.permissions import authorize, can
from app.core.quarters import Quarter
from app.core.tree import depth_first
from app.extensions import db
from app.issues import tally
from app.issues.asof import AsOf, QuarterFigures, quarter_clauses
from app.issues.lights import LightRules, light_clause
from app.issues.models import (
    CLOSED,
    DROPPED,
    GREEN,
    OPEN_STATUSES,
    RED,
    STATUSES,
    YELLOW,
    Category,
    Issue,
    Milestone,
)
from app.issues.service import (
    ROW_COLUMNS,
    delayed_clause,
    headline_clauses,
    relations,
    subtree_sums,
    with_owner_name,
)
from app.kpis import by_unit
from app.kpis import service as kpi_service
from app.kpis.by_unit import BehindPace
from app.kpis.service import Standing
from app.people.models import TaskForce, User


@dataclass
class Totals:
    problems: int
    closed: int
    open: int
    path_defined: int
    overdue: int
    unacknowledged: int
    red: int
    yellow: int
    green: int
    major_open: int
    # Items whose deadline was extended more than once (approved 延期申请), any status.
    delayed_twice: int


@dataclass(frozen=True)
class Dimension:
    """A dimension or sub-dimension of the framework, with its subtree's items."""

    id: int
    name: str
    depth: int
    total: int  # every item but dropped ones
    closed: int


@dataclass
class OwnerLoad:
    owner: Row | None  # the owner's id and display_name
    open: int
    overdue: int
    closed: int


@dataclass
class BattleMap:
    totals: Totals
    dimensions: list[Dimension]
    # Plain rows: ``ROW_COLUMNS`` and ``owner_name``; with ``closed_at``; a milestone's
    # id, title, due_on, issue_id and its item's code.
    red: list[Row]
    yellow: list[Row]
    recently_closed: list[Row]
    upcoming_milestones: list[Row]
    owners: list[OwnerLoad]
    today: date
    quarter: QuarterFigures
    # The codes of the open items blocking each red or yellow item (its links).
    blocked_by: dict[int, list[str]] = field(default_factory=dict)

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def counted_statuses(self) -> list[str]:
        """Every status but dropped: what "problems" count, for the list links."""
        return [status for status in STATUSES if status != DROPPED]


def _framework(task_force_id: int) -> list[tuple[int, str, int, str]]:
    """The open categories in tree order: (id, name, depth, path)."""
    categories = db.session.scalars(
        select(Category).where(
            Category.task_force_id == task_force_id, Category.archived_at.is_(None)
        )
    )
    return [
        (c.id, c.name, depth, c.path)
        for c, depth in depth_first(categories, lambda c: (c.sort_order, c.id))
    ]


# What a dimension's figures count among its subtree's items (as ``category_tree``).
_CATEGORY_FIGURES = ("total", "closed")


def _category_clauses() -> dict:
    return dict(
        zip(_CATEGORY_FIGURES, (Issue.status != DROPPED, Issue.status == CLOSED), strict=True)
    )


def _dimensions(task_force: TaskForce, rules: LightRules) -> list[Dimension]:
    """The framework's top two levels with their subtrees' items (``category_tree``'s
    figures): the framework kept under the setup version, the items per category as
    the items change (``issues.tally``)."""
    framework = setup_value(
        "battle_map.framework", task_force.id, lambda: _framework(task_force.id)
    )
    per_category = tally.counted(
        task_force,
        "battle_map.categories",
        _category_clauses,
        rules,
        group=Issue.category_id,
    ).groups
    sums = subtree_sums(
        {category_id: path for category_id, _name, _depth, path in framework},
        {key: [own[name] for name in _CATEGORY_FIGURES] for key, own in per_category.items()},
        len(_CATEGORY_FIGURES),
    )
    return [
        Dimension(category_id, name, depth, *sums[category_id])
        for category_id, name, depth, _path in framework
        if depth <= 1
    ]


def _light_lists(first: dict[str, list[int]]) -> dict[str, list[Row]]:
    """The first red and yellow items by deadline (which they are is kept with the
    counts, ``issues.tally``), both lists read in one query as plain rows (a list's
    columns, ``ROW_COLUMNS``, and ``owner_name``)."""
    wanted = first[RED] + first[YELLOW]
    loaded = {
        row.id: row
        for row in db.session.execute(
            with_owner_name(select(*ROW_COLUMNS)).where(among_ids(Issue.id, wanted))
        )
    }
    return {
        light: [loaded[item_id] for item_id in first[light] if item_id in loaded]
        for light in (RED, YELLOW)
    }


def _owner_loads(counts: tally.Counts) -> list[OwnerLoad]:
    """Open, overdue and closed items per owner (of those who own any item but dropped
    ones), most overdue first."""
    per_owner = {owner_id: c for owner_id, c in counts.groups.items() if c["problems"]}
    people = {
        person.id: person
        for person in db.session.execute(
            select(User.id, User.display_name).where(
                among_ids(User.id, [i for i in per_owner if i is not None])
            )
        )
    }
    loads = (
        OwnerLoad(people.get(owner_id), c["open"], c["overdue"], c["closed"])
        for owner_id, c in per_owner.items()
    )
    return sorted(
        loads,
        key=lambda load: (-load.overdue, -load.open, load.owner.display_name if load.owner else ""),
    )


# The headline figures' names, in the order of ``QuarterFigures`` and ``Totals``.
_QUARTER_FIGURES = ("raised", "closed_q", "closed_on_time", "open_at_end", "overdue_at_end")
_TOTALS = (
    "problems",
    "closed",
    "open",
    "path_defined",
    "overdue",
    "unacknowledged",
    "red",
    "yellow",
    "green",
    "major_open",
    "delayed_twice",
)


def _figures(rules: LightRules, as_of: AsOf) -> dict:
    """What each headline figure counts, by its one definition (``quarter_clauses``,
    ``headline_clauses``, the lights): the quarter's figures and the totals. The counts
    per owner are the totals' "open", "overdue" and "closed" among each owner's items.
    (The quarter is the current one, so an item's status and closing are its own
    columns.)"""
    assert as_of.live
    is_open = Issue.status.in_(OPEN_STATUSES)
    quarter = quarter_clauses(as_of)
    return {
        "raised": quarter["raised"],
        "closed_q": quarter["closed"],
        "closed_on_time": quarter["closed_on_time"],
        "open_at_end": quarter["open_at_end"],
        "overdue_at_end": quarter["overdue_at_end"],
        **headline_clauses(rules),  # problems, closed, open, path_defined, overdue
        "unacknowledged": is_open & Issue.owner_id.is_not(None) & Issue.acknowledged_at.is_(None),
        RED: light_clause(rules, RED),
        YELLOW: light_clause(rules, YELLOW),
        GREEN: light_clause(rules, GREEN),
        "major_open": is_open & Issue.major.is_(True),
        "delayed_twice": delayed_clause(2),
    }


def battle_map(actor: User, task_force_id: int, list_limit: int = 12) -> BattleMap:
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()
    in_tf = Issue.task_force_id == task_force_id
    is_open = Issue.status.in_(OPEN_STATUSES)
    # The quarter's figures by the one definition the review pack and the quarterly
    # meeting use, in the same query.
    as_of = AsOf.for_quarter(Quarter.of(rules.today), rules.today)
    # Kept as the items change: the first view after a change counts the changed
    # items again, not all of them (``issues.tally``).
    task_force = db.session.get(TaskForce, task_force_id)
    counts = tally.counted(
        task_force,
        "battle_map",
        lambda: _figures(rules, as_of),
        rules,
        group=Issue.owner_id,
        listed=(RED, YELLOW),
        order=Issue.deadline,
        limit=list_limit,
    )
    quarter = QuarterFigures(as_of.quarter, *(counts.totals[name] for name in _QUARTER_FIGURES))
    totals = Totals(*(counts.totals[name] for name in _TOTALS))

    # Plain rows of what the page shows of them, not whole items.
    recently_closed = db.session.execute(
        select(*ROW_COLUMNS, Issue.closed_at)
        .where(in_tf, constant_in(Issue.status, (CLOSED,)))
        .order_by(Issue.closed_at.desc())
        .limit(constant(8))
    ).all()
    upcoming = db.session.execute(
        select(Milestone.id, Milestone.title, Milestone.due_on, Milestone.issue_id, Issue.code)
        .join(Issue, Issue.id == Milestone.issue_id)
        .where(
            Milestone.task_force_id == task_force_id,
            Milestone.done_on.is_(None),
            Milestone.due_on >= rules.today,
            Milestone.due_on <= rules.today + timedelta(days=14),
            is_open,
        )
        .order_by(Milestone.due_on, Milestone.id)
        .limit(constant(20))
    ).all()
    owners = _owner_loads(counts)
    lights = _light_lists(counts.first)
    dimensions = _dimensions(task_force, rules)
    return BattleMap(
        totals=totals,
        dimensions=dimensions,
        red=lights[RED],
        yellow=lights[YELLOW],
        blocked_by=relations.open_blockers(i.id for i in lights[RED] + lights[YELLOW]),
        recently_closed=recently_closed,
        upcoming_milestones=upcoming,
        owners=owners,
        today=rules.today,
        quarter=quarter,
    )


# What the goal figures read: the battle map keeps them until one of these changes.
GOAL_FIGURE_TABLES = frozenset(
    {"kpi", "kpi_reading", "kpi_unit", "kpi_unit_target", "kpi_unit_reading", "org_unit"}
)


@dataclass
class GoalFigures:
    """The battle map's goal figures (目标): each KPI's standing, and the units behind
    pace on the broken-down ones (目标分解), for who may see KPIs."""

    kpis: list[Standing]
    behind_pace: BehindPace


def goal_figures(actor: User, task_force_id: int, today: date) -> GoalFigures:
    """Reads only ``GOAL_FIGURE_TABLES``."""
    authorize(actor, "issue.view", task_force_id)
    kpis = kpi_service.overview(task_force_id)
    behind = BehindPace(False)
    if can(actor, "kpi.view", task_force_id):
        # No query unless a KPI is broken down; then four, whatever its units and periods.
        behind = by_unit.behind_pace(
            task_force_id, today, [s.kpi.id for s in kpis if s.kpi.breakdown]
        )
    return GoalFigures(kpis, behind)
