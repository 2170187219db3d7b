"""What a reminder rule is, and the registry of every feature's rules.

A rule lives with the feature whose data it reads (escalations in
``decisions/reminders.py``, meetings in ``meetings/reminders.py``, review packs in
``reports/reminders.py``; those about items, memberships and the weekly digest in
``notify/rules.py``), and that feature registers it in its ``init_app``:

    reminders.RULES.register(Rule(name="minutes_unpublished", order=100, ...))

``notify``'s runner (``notify/rules.py``, whose docstring shows how to write a rule)
reads ``RULES``, and the scheduler makes one job of each. The parts of the Monday
digest that other features contribute are in ``DIGEST_SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select

MONDAY = 0


@dataclass
class RuleContext:
    """The moment a pass runs, and the settings it runs with (``notify.rules.current_context``)."""

    today: date
    now: datetime
    due_soon_days: int
    stale_days: int
    unacknowledged_days: int
    membership_days: int
    light_rules: Any  # issues.lights.LightRules: the ground floor names no higher one

    @property
    def week(self) -> str:
        year, week, _day = self.today.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Grouping:
    """How a per-item rule tells one message per person and task force
    (``notify/rules.py``)."""

    item_key: Callable[[Any, RuleContext], str]  # the item's own period key
    order: Callable[[Any], Any]  # the order of the listed items
    heading: Callable[
        [list, RuleContext], str
    ]  # of the rows listed: "5 of your items are overdue:"
    detail: Callable[[Any, RuleContext], str]  # one item's line, after code and title
    # Tell the whole list again this many days after the last message (None: never).
    again_after: Callable[[RuleContext], int | None] = lambda ctx: None


@dataclass(frozen=True)
class Rule:
    name: str
    label: Any  # a lazy string, for the preferences page
    subject_type: str
    targets: Callable[[RuleContext], Select]
    message: Callable[[Any, RuleContext, Any], str]  # of a grouped rule: for one item
    link: Callable[[Any], str | None]  # of a grouped rule: for one item
    # The outbox key of one message; a grouped rule's keys are made by the runner.
    key: Callable[[Any, RuleContext], str] | None = None
    group: Grouping | None = None
    mandatory: bool = False
    # None: every day; 0..6: only on that weekday when run by ``run_all`` or the scheduler.
    weekday: int | None = None
    # Optional: one more query over the matched rows (e.g. the digest's sections).
    prepare: Callable[[RuleContext, list], Any] | None = None
    # Where the rule stands among all rules: the preferences page, the list, a pass.
    order: int = 0

    def __post_init__(self):
        if (self.key is None) == (self.group is None):
            raise ValueError(f"rule {self.name}: give either a key or a grouping")


class RuleRegistry:
    """Every feature's reminder rules by ``order``; registering a name again replaces it."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, rule: Rule) -> Rule:
        self._rules[rule.name] = rule
        return rule

    def named(self, name: str) -> Rule:
        """:raise KeyError: for an unknown rule."""
        return self._rules[name]

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: (r.order, r.name)))

    def __len__(self) -> int:
        return len(self._rules)


# Orders: 10 due soon, 20 overdue, 30 overdue weekly, 40 stale, 50 unacknowledged,
# 60 membership ending, 70 weekly digest, 80 escalation overdue, 90 meeting tomorrow,
# 100 minutes unpublished, 110 review pack ready.
RULES = RuleRegistry()


@dataclass(frozen=True)
class DigestSection:
    """A part of the Monday digest that another feature contributes.

    ``lines`` runs ONE query for all task forces of the pass and returns, per task force
    id, the lines to show (codes, titles, dates: data, not prose). Meetings add "meetings
    this week" and decisions "decisions due" this way, in their ``init_app``:

        add_digest_section(DigestSection(_l("Decisions due"), decisions_due_lines))
    """

    title: Any
    lines: Callable[[RuleContext, list[int]], dict[int, list[str]]]


# In the order the features register them (``app/features.py``).
DIGEST_SECTIONS: list[DigestSection] = []


def add_digest_section(section: DigestSection) -> DigestSection:
    if section not in DIGEST_SECTIONS:
        DIGEST_SECTIONS.append(section)
    return section


# --- helpers the rules of several features share ---------------------------------------------


def question(text: str, size: int = 60) -> str:
    """``text`` on one line, cut to ``size`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def as_datetime(value) -> datetime:
    """An instant read from a row: SQLite may hand back an expression over timestamps
    (COALESCE, UNION) as text or naive, which is UTC as the columns store it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week of ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
