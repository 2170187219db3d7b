"""The battle map's figures, each from one grouped query.

The number of queries is fixed: it does not grow with the number of issues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import literal, select, true, union_all
from sqlalchemy.orm import joinedload

from app.core.permissions import authorize, can
from app.core.quarters import Quarter
from app.extensions import db
from app.issues.asof import AsOf, QuarterFigures, quarter_counts
from app.issues.lights import LightRules, light_clause
from app.issues.models import (
    CLOSED,
    DROPPED,
    GREEN,
    OPEN_STATUSES,
    RED,
    STATUSES,
    YELLOW,
    Issue,
    Milestone,
    count_items,
)
from app.issues.service import (
    CategoryRow,
    category_tree,
    delayed_clause,
    headline_counts,
    relations,
)
from app.kpis import by_unit
from app.kpis import service as kpi_service
from app.kpis.by_unit import BehindPace
from app.kpis.service import Standing
from app.people.models import User


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


@dataclass
class OwnerLoad:
    owner: User | None
    open: int
    overdue: int
    closed: int


@dataclass
class BattleMap:
    totals: Totals
    dimensions: list[CategoryRow]
    red: list[Issue]
    yellow: list[Issue]
    recently_closed: list[Issue]
    upcoming_milestones: list[Milestone]
    owners: list[OwnerLoad]
    kpis: list[Standing]
    today: date
    quarter: QuarterFigures
    # The codes of the open items blocking each red or yellow item (its links).
    blocked_by: dict[int, list[str]] = field(default_factory=dict)
    # The units behind pace on the broken-down KPIs (目标分解), for who may see KPIs.
    behind_pace: BehindPace = field(default_factory=lambda: BehindPace(False))

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def counted_statuses(self) -> list[str]:
        """Every status but dropped: what "problems" count, for the list links."""
        return [status for status in STATUSES if status != DROPPED]


def _light_lists(in_tf, rules: LightRules, limit: int) -> dict[str, list[Issue]]:
    """The first ``limit`` red and yellow items by deadline, both lists in one query."""
    order = (Issue.deadline.is_(None), Issue.deadline, Issue.id)
    # Red and yellow are open items' lights: read among them, by the status index.
    parts = [
        select(Issue.id.label("id"), literal(light).label("light"))
        .where(in_tf, Issue.status.in_(OPEN_STATUSES), light_clause(rules, light))
        .order_by(*order)
        .limit(limit)
        .subquery()
        for light in (RED, YELLOW)
    ]
    picked = union_all(*(select(part.c.id, part.c.light) for part in parts)).subquery()
    lists: dict[str, list[Issue]] = {RED: [], YELLOW: []}
    for issue, light in db.session.execute(
        select(Issue, picked.c.light)
        .join(picked, picked.c.id == Issue.id)
        .options(joinedload(Issue.owner))
        .order_by(*order)
    ):
        lists[light].append(issue)
    return lists


def _owner_loads(in_tf, rules: LightRules) -> list[OwnerLoad]:
    """Open, overdue and closed items per owner, most overdue first: one query."""
    is_open = Issue.status.in_(OPEN_STATUSES)
    count = count_items()
    # Counted per owner's id first, the people joined to the fifty-odd counts after:
    # grouping the items joined to their owners' whole rows costs several times more.
    counts = (
        select(
            Issue.owner_id.label("owner_id"),
            count.filter(is_open).label("open"),
            count.filter(is_open & (Issue.deadline < rules.today)).label("overdue"),
            count.filter(Issue.status == CLOSED).label("closed"),
        )
        .where(in_tf, Issue.status != DROPPED)
        .group_by(Issue.owner_id)
        .subquery()
    )
    per_owner = db.session.execute(
        select(User, counts.c.open, counts.c.overdue, counts.c.closed)
        .select_from(counts)
        .outerjoin(User, User.id == counts.c.owner_id)
    ).all()
    return sorted(
        (OwnerLoad(user, o, od, c) for user, o, od, c in per_owner),
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


def _headline_select(task_force_id: int, rules: LightRules, as_of: AsOf):
    """The quarter's figures and the totals in one statement of three single-row parts.

    Each figure keeps its one definition (``quarter_counts``, ``headline_counts``, the
    lights); what changes is which rows it is counted among: a figure whose own filter
    admits only open items is counted among the open items (a fifth of the rows), the
    quarter's closings among the items closed since the quarter began, the rest among
    all. Narrowing to rows the filter implies changes no figure; it spares evaluating
    every filter on every row. (The quarter is the current one, so an item's status and
    closing are its own columns, as the narrowing reads.) Every part names its task
    force itself: the scope's criteria do not reach each subquery of a statement. The
    index ``ix_issue_figures`` holds every column the figures test but the solution,
    so the rows are counted from it (only "path defined" reads the open items' rows).
    """
    assert as_of.live
    in_tf = Issue.task_force_id == task_force_id
    is_open = Issue.status.in_(OPEN_STATUSES)
    count = count_items()
    quarter = quarter_counts(as_of)
    headline = headline_counts(rules)
    among_open = {
        "open_at_end": quarter["open_at_end"],
        "overdue_at_end": quarter["overdue_at_end"],
        "open": headline["open"],
        "overdue": headline["overdue"],
        "unacknowledged": count.filter(
            is_open & Issue.owner_id.is_not(None) & Issue.acknowledged_at.is_(None)
        ),
        # A light but grey is only an open item's (closed and dropped are grey).
        "red": count.filter(light_clause(rules, RED)),
        "yellow": count.filter(light_clause(rules, YELLOW)),
        "green": count.filter(light_clause(rules, GREEN)),
        "major_open": count.filter(is_open & Issue.major.is_(True)),
    }
    # The one figure that reads the solution, not in the index: the rows are read.
    among_open_rows = {"path_defined": headline["path_defined"]}
    among_closed = {"closed_q": quarter["closed"], "closed_on_time": quarter["closed_on_time"]}
    among_all = {
        "raised": quarter["raised"],
        "problems": headline["problems"],
        "closed": headline["closed"],
        "delayed_twice": count.filter(delayed_clause(2)),
    }
    closed_this_quarter = (Issue.status == CLOSED) & (Issue.closed_at >= as_of.start)
    parts = [
        select(*(c.label(n) for n, c in columns.items())).where(in_tf, *narrowing).subquery()
        for columns, narrowing in (
            (among_open, [is_open]),
            (among_open_rows, [is_open]),
            (among_closed, [closed_this_quarter]),
            (among_all, []),
        )
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, true())
    return select(*parts).select_from(joined)


def battle_map(actor: User, task_force_id: int, list_limit: int = 12) -> BattleMap:
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()
    in_tf = Issue.task_force_id == task_force_id
    is_open = Issue.status.in_(OPEN_STATUSES)
    # The quarter's figures by the one definition the review pack and the quarterly
    # meeting use, in the same query.
    as_of = AsOf.for_quarter(Quarter.of(rules.today), rules.today)
    row = db.session.execute(_headline_select(task_force_id, rules, as_of)).one()._mapping
    quarter = QuarterFigures(as_of.quarter, *(row[name] for name in _QUARTER_FIGURES))
    totals = Totals(*(row[name] for name in _TOTALS))

    recently_closed = list(
        db.session.scalars(
            select(Issue)
            .where(in_tf, Issue.status == CLOSED)
            .options(joinedload(Issue.owner))
            .order_by(Issue.closed_at.desc())
            .limit(8)
        )
    )
    upcoming = list(
        db.session.scalars(
            select(Milestone)
            .join(Issue, Issue.id == Milestone.issue_id)
            .where(
                Milestone.task_force_id == task_force_id,
                Milestone.done_on.is_(None),
                Milestone.due_on >= rules.today,
                Milestone.due_on <= rules.today + timedelta(days=14),
                is_open,
            )
            .options(joinedload(Milestone.issue))
            .order_by(Milestone.due_on, Milestone.id)
            .limit(20)
        )
    )
    owners = _owner_loads(in_tf, rules)
    lights = _light_lists(in_tf, rules, list_limit)
    dimensions = [r for r in category_tree(task_force_id, include_archived=False) if r.depth <= 1]
    kpis = kpi_service.overview(task_force_id)
    behind = BehindPace(False)
    if can(actor, "kpi.view", task_force_id):
        # No query unless a KPI is broken down; then four, whatever its units and periods.
        behind = by_unit.behind_pace(
            task_force_id, rules.today, [s.kpi.id for s in kpis if s.kpi.breakdown]
        )
    return BattleMap(
        totals=totals,
        dimensions=dimensions,
        red=lights[RED],
        yellow=lights[YELLOW],
        blocked_by=relations.open_blockers(i.id for i in lights[RED] + lights[YELLOW]),
        kpis=kpis,
        behind_pace=behind,
        recently_closed=recently_closed,
        upcoming_milestones=upcoming,
        owners=owners,
        today=rules.today,
        quarter=quarter,
    )
