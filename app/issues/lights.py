"""Traffic lights (红黄绿灯), computed from the clock, never typed.

red    — overdue, or blocked
yellow — due within N days, a milestone overdue, or no progress update for M days
green  — otherwise
grey   — closed or dropped

The same rule exists twice on purpose: as a SQL CASE for lists, filters and the battle
map (one query for any number of items), and in Python for a single loaded item. A test
checks that both agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, and_, bindparam, case, exists, func, or_, select

from app.core import clock
from app.issues.models import (
    BLOCKED,
    FINISHED_STATUSES,
    GREEN,
    GREY,
    RED,
    YELLOW,
    Issue,
    Milestone,
)


@dataclass(frozen=True)
class LightRules:
    today: date
    now: datetime  # naive UTC
    due_soon_days: int
    stale_days: int

    @classmethod
    def current(cls) -> LightRules:
        config = current_app.config
        return cls(
            today=clock.today(),
            now=clock.now(),
            due_soon_days=config["LIGHT_DUE_SOON_DAYS"],
            stale_days=config["LIGHT_STALE_DAYS"],
        )

    @property
    def due_soon_until(self) -> date:
        return self.today + timedelta(days=self.due_soon_days)

    @property
    def stale_before(self) -> datetime:
        return self.now - timedelta(days=self.stale_days)

    @property
    def of_the_day(self) -> tuple:
        """What a statement built with these rules depends on, but the stale line (given
        at each run as ``STALE_BEFORE``): the part of a kept statement's key they make."""
        return (self.today, self.due_soon_days, self.stale_days)


def milestone_overdue_clause(rules: LightRules, per_item: bool = False):
    """SQL: one of the item's milestones is overdue.

    Two equal forms: as membership of the items with an overdue milestone, a list the
    database makes once per statement (for counting and filtering thousands of items),
    or, ``per_item``, as a search of the item's own milestones (for a page of rows,
    where making the whole list costs more). (``issue_id`` is never NULL, so either is
    true or false, never NULL, and can be negated.)
    """
    overdue = (Milestone.done_on.is_(None), Milestone.due_on < rules.today)
    if per_item:
        return exists().where(Milestone.issue_id == Issue.id, *overdue)
    return Issue.id.in_(select(Milestone.issue_id).where(*overdue))


# The stale line in SQL is a parameter of this name: a statement built once (the kept
# counts', ``issues.tally``) is given the line of the moment each time it runs.
STALE_BEFORE = "stale_before"


def stale_line(rules: LightRules | None):
    """SQL: ``rules.stale_before``, as the parameter ``STALE_BEFORE`` (None: given when
    the statement runs)."""
    return bindparam(STALE_BEFORE, None if rules is None else rules.stale_before, type_=DateTime())


def last_activity():
    """SQL: when the item last moved (its last progress note, else its creation); it is
    stale (yellow) once this falls before ``LightRules.stale_before``."""
    return func.coalesce(Issue.last_progress_at, Issue.created_at)


def _conditions(rules: LightRules, per_item: bool = False):
    """The rule once, as (finished, a red reason, a yellow reason).

    Deadlines are tested null-safely (an item may have none), so each condition is
    true or false, never NULL, and can be negated.
    """
    finished = Issue.status.in_(FINISHED_STATUSES)
    has_deadline = Issue.deadline.is_not(None)
    red = or_(Issue.status == BLOCKED, and_(has_deadline, Issue.deadline < rules.today))
    yellow = or_(
        and_(has_deadline, Issue.deadline <= rules.due_soon_until),
        milestone_overdue_clause(rules, per_item),
        last_activity() < stale_line(rules),
    )
    return finished, red, yellow


def light_expression(rules: LightRules, per_item: bool = True):
    """A SQL expression giving each issue's light: by default each row's milestones
    searched (lists show a page of rows); ``per_item=False`` for the light of every item
    of a task force (the items with an overdue milestone listed once: on PostgreSQL the
    mind map's lights 28 -> 8 ms at 10,000 items)."""
    finished, red, yellow = _conditions(rules, per_item=per_item)
    return case((finished, GREY), (red, RED), (yellow, YELLOW), else_=GREEN)


def light_clause(rules: LightRules, light: str):
    """A WHERE clause selecting the issues of one light (cheaper than comparing the CASE;
    the items with an overdue milestone listed once: it filters and counts many rows)."""
    finished, red, yellow = _conditions(rules)
    if light == GREY:
        return finished
    if light == RED:
        return and_(~finished, red)
    if light == YELLOW:
        return and_(~finished, ~red, yellow)
    return and_(~finished, ~red, ~yellow)


def light_of(issue: Issue, rules: LightRules) -> str:
    """The light of one loaded issue (its milestones are read)."""
    if issue.status in FINISHED_STATUSES:
        return GREY
    if issue.status == BLOCKED or (issue.deadline is not None and issue.deadline < rules.today):
        return RED
    last_activity = issue.last_progress_at or issue.created_at
    if (
        (issue.deadline is not None and issue.deadline <= rules.due_soon_until)
        or any(m.overdue_on(rules.today) for m in issue.milestones)
        or (last_activity is not None and last_activity < rules.stale_before)
    ):
        return YELLOW
    return GREEN


def light_reasons(issue: Issue, rules: LightRules, blocked_by: Iterable[str] = ()) -> list[str]:
    """Why an item has its light, in words for the detail page and the 督办单.

    ``blocked_by`` holds the codes of the open items that block this one (its links,
    ``service.relations``): they explain a light as much as its own dates do.
    """
    from flask_babel import gettext as _

    reasons = []
    if issue.status in FINISHED_STATUSES:
        return reasons
    if issue.status == BLOCKED:
        reasons.append(_("blocked"))
    for code in blocked_by:
        reasons.append(_("blocked by %(code)s (open)", code=code))
    if issue.deadline is not None and issue.deadline < rules.today:
        reasons.append(_("overdue by %(n)d days", n=(rules.today - issue.deadline).days))
    elif issue.deadline is not None and issue.deadline <= rules.due_soon_until:
        reasons.append(_("due in %(n)d days", n=(issue.deadline - rules.today).days))
    late = [m for m in issue.milestones if m.overdue_on(rules.today)]
    if late:
        reasons.append(_("%(n)d milestones overdue", n=len(late)))
    last_activity = issue.last_progress_at or issue.created_at
    if last_activity is not None and last_activity < rules.stale_before:
        reasons.append(_("no update for %(n)d days", n=(rules.now - last_activity).days))
    return reasons
