"""The decision register: every escalation with its decision, filtered, paged, and its
figures (time to decision, overdue).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.core import clock
from app.core.paging import within
from app.core.permissions import authorize
from app.decisions.models import (
    DECIDED,
    ESCALATION_STATUSES,
    KINDS,
    LEVELS,
    PENDING,
    Decision,
    Escalation,
)
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User


@dataclass
class RegisterFilter:
    kind: str | None = None
    level: str | None = None
    status: str | None = None
    raised_from: date | None = None
    raised_to: date | None = None
    q: str = ""


def _local_day_start_utc(day: date) -> datetime:
    return clock.start_of_day(day)


def _filtered(task_force_id: int, filters: RegisterFilter) -> Select:
    stmt = (
        select(Escalation, Decision)
        .join(Issue, Issue.id == Escalation.issue_id)
        .outerjoin(Decision, Decision.escalation_id == Escalation.id)
        .where(Escalation.task_force_id == task_force_id)
    )
    if filters.kind in KINDS:
        stmt = stmt.where(Escalation.kind == filters.kind)
    if filters.level in LEVELS:
        stmt = stmt.where(Escalation.level == filters.level)
    if filters.status in ESCALATION_STATUSES:
        stmt = stmt.where(Escalation.status == filters.status)
    if filters.raised_from:
        stmt = stmt.where(Escalation.raised_at >= _local_day_start_utc(filters.raised_from))
    if filters.raised_to:
        end = _local_day_start_utc(filters.raised_to + timedelta(days=1))
        stmt = stmt.where(Escalation.raised_at < end)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(
                Escalation.question.ilike(like),
                Issue.code.ilike(like),
                Issue.title.ilike(like),
                Decision.text.ilike(like),
            )
        )
    return stmt


@dataclass
class RegisterRow:
    escalation: Escalation
    decision: Decision | None
    days_to_decision: float | None  # None while pending
    overdue: bool  # pending past its due date, or decided after it
    decider_name: str | None = None

    @property
    def issue(self) -> Issue:
        return self.escalation.issue


def _days_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def register_rows(actor: User, task_force_id: int, filters: RegisterFilter) -> list[RegisterRow]:
    """Every matching escalation with its outcome and time to decision, newest first (the
    exports): one query."""
    authorize(actor, "escalation.view", task_force_id)
    return rows_of_register(task_force_id, filters)


def rows_of_register(
    task_force_id: int, filters: RegisterFilter, limit: int | None = None, offset: int = 0
) -> list[RegisterRow]:
    """``register_rows`` without the permission check (the review pack, a page of the
    register): at most ``limit`` rows after the first ``offset``."""
    today = clock.today()
    decider = aliased(User)
    newest_first = (Escalation.raised_at.desc(), Escalation.id.desc())
    stmt = _filtered(task_force_id, filters)
    if limit is not None:
        # Sort the matching ids alone and join the wide rows for the page only.
        shown = (
            stmt.with_only_columns(Escalation.id)
            .order_by(*newest_first)
            .limit(limit)
            .offset(offset or None)
        )
        stmt = _filtered(task_force_id, RegisterFilter()).where(Escalation.id.in_(shown))
    stmt = (
        stmt.outerjoin(decider, decider.id == Decision.decided_by_id)
        .add_columns(decider.display_name)
        .options(
            joinedload(Escalation.issue),
            joinedload(Escalation.raised_by),
        )
        .order_by(*newest_first)
    )
    rows = []
    for escalation, decision, decider_name in db.session.execute(stmt).unique():
        if decision is not None:
            days = _days_between(escalation.raised_at, decision.decided_at)
            late = clock.local_date(decision.decided_at) > escalation.due_on
        else:
            days = None
            late = escalation.due_on < today
        rows.append(RegisterRow(escalation, decision, days, late, decider_name))
    return rows


@dataclass
class GroupFigures:
    total: int = 0
    decided: int = 0
    overdue_now: int = 0
    median_days: float | None = None


@dataclass
class RegisterFigures:
    total: int
    decided: int
    pending: int
    overdue_now: int
    decided_late: int
    median_days: float | None
    by_kind: dict[str, GroupFigures]
    by_level: dict[str, GroupFigures]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def register_figures(actor: User, task_force_id: int, filters: RegisterFilter) -> RegisterFigures:
    """Median days to decision, decisions overdue now, by kind and level, as of today, over
    every matching escalation. Two queries: counts grouped by kind and level, and the decided
    ones' durations for the medians (SQLite has no median, so it is taken in Python)."""
    authorize(actor, "escalation.view", task_force_id)
    return figures_of_register(task_force_id, filters)


def figures_of_register(task_force_id: int, filters: RegisterFilter) -> RegisterFigures:
    """``register_figures`` without the permission check (the review pack)."""
    today = clock.today()
    matching = _filtered(task_force_id, filters)
    esc = matching.with_only_columns(
        Escalation.kind, Escalation.level, Escalation.status, Escalation.due_on, Decision.decided_at
    ).subquery()
    counts = db.session.execute(
        select(
            esc.c.kind,
            esc.c.level,
            func.count(),
            func.count().filter(esc.c.status == DECIDED),
            func.count().filter(and_(esc.c.status == PENDING, esc.c.due_on < today)),
            func.count().filter(clock.local_day(esc.c.decided_at) > esc.c.due_on),
        ).group_by(esc.c.kind, esc.c.level)
    ).all()
    durations = db.session.execute(
        matching.with_only_columns(
            Escalation.kind, Escalation.level, Escalation.raised_at, Decision.decided_at
        ).where(Decision.id.is_not(None))
    ).all()
    by_kind = {k: GroupFigures() for k in KINDS}
    by_level = {lv: GroupFigures() for lv in LEVELS}
    late = 0
    for kind, level, total, decided, overdue_now, decided_late in counts:
        late += decided_late
        for group in (by_kind[kind], by_level[level]):
            group.total += total
            group.decided += decided
            group.overdue_now += overdue_now
    all_days: list[float] = []
    kind_days: dict[str, list[float]] = {k: [] for k in KINDS}
    level_days: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    for kind, level, raised_at, decided_at in durations:
        days = _days_between(raised_at, decided_at)
        all_days.append(days)
        kind_days[kind].append(days)
        level_days[level].append(days)
    for kind, group in by_kind.items():
        group.median_days = _median(kind_days[kind])
    for level, group in by_level.items():
        group.median_days = _median(level_days[level])
    total = sum(g.total for g in by_kind.values())
    decided = sum(g.decided for g in by_kind.values())
    return RegisterFigures(
        total=total,
        decided=decided,
        pending=total - decided,
        overdue_now=sum(g.overdue_now for g in by_kind.values()),
        decided_late=late,
        median_days=_median(all_days),
        by_kind=by_kind,
        by_level=by_level,
    )


@dataclass
class RegisterPage:
    rows: list[RegisterRow]
    figures: RegisterFigures  # over every matching escalation, not the page
    total: int
    page: int
    pages: int


def register_page(
    actor: User, task_force_id: int, filters: RegisterFilter, page: int = 1, per_page: int = 50
) -> RegisterPage:
    """One page of the register, newest first, and the figures over all it matches: three
    queries (the figures' total is the page count's)."""
    authorize(actor, "escalation.view", task_force_id)
    figures = figures_of_register(task_force_id, filters)
    page, pages = within(page, figures.total, per_page)
    rows = rows_of_register(task_force_id, filters, limit=per_page, offset=(page - 1) * per_page)
    return RegisterPage(rows, figures, figures.total, page, pages)
