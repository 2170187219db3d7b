"""The problem list as it stood at a quarter's end, and a quarter's figures.

For the current quarter the figures count with the very columns and clauses the battle
map and the list use, so each equals what the app shows today. For a finished quarter
the same clauses run over each item's state at the quarter's end, read from the audit
trail in SQL: its status then (the last status change before the cut-off, else the first
one after it tells what it was, else it never changed) and when it was closed.

Days are the configured zone's: a quarter begins at local midnight of its first day.
One definition of a quarter's figures (``quarter_figures``) serves the battle map, the
quarterly meeting's agenda and the review pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select, true

from app.core import clock
from app.core.models import AuditEvent
from app.core.quarters import Quarter
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import CLOSED, OPEN_STATUSES, Issue, ProgressUpdate, count_items


@dataclass(frozen=True)
class AsOf:
    """The instant a pack describes and the SQL that reads each item's state then."""

    quarter: Quarter
    day: date  # the battle map's "today" for the pack
    live: bool  # the quarter is under way: the item's own columns are the truth
    start: datetime  # the quarter's first instant (local midnight)
    cutoff: datetime  # the instant after the pack's day (or now)
    rules: LightRules

    @classmethod
    def for_quarter(cls, quarter: Quarter, today: date | None = None) -> AsOf:
        today = today or clock.today()
        live = quarter.contains(today)
        day = today if live else quarter.last_day
        cutoff = clock.now() if live else clock.start_of_day(day + timedelta(days=1))
        config = current_app.config
        rules = LightRules(
            today=day,
            now=cutoff,
            due_soon_days=config["LIGHT_DUE_SOON_DAYS"],
            stale_days=config["LIGHT_STALE_DAYS"],
        )
        return cls(quarter, day, live, clock.start_of_day(quarter.first_day), cutoff, rules)

    @classmethod
    def for_day(cls, day: date, start_day: date, today: date | None = None) -> AsOf:
        """The problem list at the end of ``day`` (now, when ``day`` is today or later),
        over a period that began at local midnight of ``start_day`` (a month's bulletin)."""
        today = today or clock.today()
        live = day >= today
        day = min(day, today)
        cutoff = clock.now() if live else clock.start_of_day(day + timedelta(days=1))
        config = current_app.config
        rules = LightRules(
            today=day,
            now=cutoff,
            due_soon_days=config["LIGHT_DUE_SOON_DAYS"],
            stale_days=config["LIGHT_STALE_DAYS"],
        )
        start = clock.start_of_day(start_day)
        return cls(Quarter.of(day), day, live, start, cutoff, rules)

    def _status_event(self, before: bool):
        changes = AuditEvent.changes[("status", 1 if before else 0)].as_string()
        moment = AuditEvent.at < self.cutoff if before else AuditEvent.at >= self.cutoff
        order = (
            (AuditEvent.at.desc(), AuditEvent.id.desc())
            if before
            else (AuditEvent.at, AuditEvent.id)
        )
        return (
            select(changes)
            .where(
                AuditEvent.entity_type == "issue",
                AuditEvent.entity_id == Issue.id,
                AuditEvent.action == "status_changed",
                moment,
            )
            .order_by(*order)
            .limit(1)
            .correlate(Issue)
            .scalar_subquery()
        )

    @property
    def status(self):
        if self.live:
            return Issue.status
        return func.coalesce(self._status_event(True), self._status_event(False), Issue.status)

    @property
    def closed_at(self):
        if self.live:
            return Issue.closed_at
        last_close = (
            select(func.max(AuditEvent.at))
            .where(
                AuditEvent.entity_type == "issue",
                AuditEvent.entity_id == Issue.id,
                AuditEvent.action == "status_changed",
                AuditEvent.changes[("status", 1)].as_string() == CLOSED,
                AuditEvent.at < self.cutoff,
            )
            .correlate(Issue)
            .scalar_subquery()
        )
        return func.coalesce(last_close, Issue.closed_at)

    @property
    def last_progress_at(self):
        if self.live:
            return Issue.last_progress_at
        return (
            select(func.max(ProgressUpdate.created_at))
            .where(ProgressUpdate.issue_id == Issue.id, ProgressUpdate.created_at < self.cutoff)
            .correlate(Issue)
            .scalar_subquery()
        )

    @property
    def existed(self):
        return true() if self.live else Issue.created_at < self.cutoff

    def issues(self, task_force_id: int, *where) -> Select:
        """Items of the task force that existed then, with their status then."""
        return select(Issue, self.status.label("status_then")).where(
            Issue.task_force_id == task_force_id, self.existed, *where
        )


@dataclass
class QuarterFigures:
    """A quarter in numbers: raised and closed in it, and what stood open at its end."""

    quarter: Quarter
    raised: int
    closed: int
    closed_on_time: int
    open_at_end: int
    overdue_at_end: int

    @property
    def on_time_share(self) -> int:
        return round(100 * self.closed_on_time / self.closed) if self.closed else 0


def quarter_clauses(as_of: AsOf) -> dict:
    """What each of ``as_of``'s quarter's figures counts: a WHERE clause over ``Issue``.

    Closed means closed during the quarter and still closed at its end; on time means
    closed on or before the deadline's day in the configured zone.
    """
    status = as_of.status
    closed_at = as_of.closed_at
    closed = and_(status == CLOSED, closed_at >= as_of.start)
    is_open = status.in_(OPEN_STATUSES)
    return {
        "raised": Issue.created_at >= as_of.start,
        "closed": closed,
        "closed_on_time": and_(
            closed, or_(Issue.deadline.is_(None), clock.local_day(closed_at) <= Issue.deadline)
        ),
        "open_at_end": is_open,
        "overdue_at_end": and_(is_open, Issue.deadline < as_of.day),
    }


def quarter_counts(as_of: AsOf) -> dict:
    """The figures of ``as_of``'s quarter as SELECT columns over ``Issue``."""
    count = count_items()
    return {name: count.filter(clause) for name, clause in quarter_clauses(as_of).items()}


def quarter_figures(task_force_id: int, quarter: Quarter, today: date | None = None):
    """``quarter``'s figures for one task force (one query)."""
    as_of = AsOf.for_quarter(quarter, today)
    row = db.session.execute(
        select(*quarter_counts(as_of).values()).where(
            Issue.task_force_id == task_force_id, as_of.existed
        )
    ).one()
    return QuarterFigures(quarter, *row)
