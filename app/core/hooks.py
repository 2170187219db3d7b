"""Extension points: where one feature shows its things on another feature's page.

A feature registers its providers in its ``init_app`` (``app/features.py``); the page
that owns the hook calls ``collect`` and gets every provider's contributions in
registration order. Each hook is typed by the ``Protocol`` its providers follow, and
``collect`` takes the same arguments. Providers must run a bounded number of queries
(one or two), whatever the number of rows.

    from app.core import hooks

    def _rollout_tasks(user, task_force_ids, /):
        return [hooks.Section("rollout", _("Rollout tasks"), "pilots/_my_rollout.html", rows)]

    hooks.MY_ITEMS.provide(_rollout_tasks)  # in the feature's init_app
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

from sqlalchemy import Select, func, select

from app.core.quarters import Month, Quarter

Provider = TypeVar("Provider", bound=Callable[..., list])


class Hook(Generic[Provider]):
    """The providers of one extension point, all of the type ``Provider``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.providers: list[Provider] = []
        # The tables a provider reads, where it names them: its contribution can then be
        # kept until one of them changes (``core.freshness.kept_part``).
        self.reads: dict[Provider, frozenset[str]] = {}

    def provide(self, provider: Provider, reads: Collection[str] | None = None) -> Provider:
        if provider not in self.providers:
            self.providers.append(provider)
        if reads is not None:
            self.reads[provider] = frozenset(reads)
        return provider

    @property
    def collect(self) -> Provider:
        """Call every provider with these arguments; their lists, one after the other."""
        return cast(Provider, self._collect)

    def _collect(self, *args: Any, **kwargs: Any) -> list:
        found: list = []
        for provider in self.providers:
            found.extend(provider(*args, **kwargs) or [])
        return found


class Reader(Protocol):
    """A signed-in person (``people.models.User``; the ground floor names no higher one)."""

    id: int


class TaskForceRow(Protocol):
    """A row of one task force a page is about: an item, a meeting."""

    id: int
    task_force_id: int


@dataclass(frozen=True)
class Section:
    """A block on a page: a title and a template rendered with ``items``."""

    key: str
    title: str
    template: str
    items: list = field(default_factory=list)
    count: int | None = None


@dataclass(frozen=True)
class AgendaProposal:
    """One line a meeting's agenda proposes, with what it is about."""

    section: str  # a heading, translated ("Pending escalations", ...)
    title: str
    url: str | None = None
    subject_type: str | None = None  # "issue", "escalation", "pilot", ...
    subject_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    # Stable across runs: "<kind>-<id>@gongjian". A calendar file keeps the part before
    # "@" and names the installation after it (INSTALLATION_ID), so UIDs are unique.
    uid: str
    kind: str  # "meeting", "deadline", "milestone", "escalation", "rollout", ...
    title: str
    start: date | datetime
    end: date | datetime | None = None
    url: str | None = None  # a path in the app; calendar files make it absolute (BASE_URL)
    cancelled: bool = False
    sequence: int = 0
    location: str = ""  # a place, an online link, or both
    # Lines in the reader's language that a calendar file's DESCRIPTION starts with
    # (a one-on-one's counterpart); the link follows, introduced by ``link_label``.
    notes: tuple[str, ...] = ()
    link_label: str = ""


class MyItemsProvider(Protocol):
    """Shown on "My items" under the issue lists. "My items" spans the reader's task
    forces: a provider keeps those where its feature's permission holds, queries them at
    once (unscoped, naming them) and loads what its template shows; its rows carry
    ``task_force_id``, and their links name it (``task_force_url``)."""

    def __call__(self, user: Reader, task_force_ids: Sequence[int], /) -> list[Section]: ...


class Someone(NamedTuple):
    id: int


@dataclass(frozen=True)
class IssueFacts:
    """What the panels of an item's page may know of the item: its own row changes with
    every note on it, so a panel kept across such changes (``Hook.reads``) is given these
    facts, and is kept per facts, rather than the item. ``collaborators`` and
    ``owner_id`` serve the permission table's rules about the item."""

    id: int
    task_force_id: int
    code: str
    status: str
    is_open: bool
    owner_id: int | None
    collaborators: tuple[Someone, ...]
    supervised: bool
    major: bool
    deadline: date | None

    @classmethod
    def of(cls, issue: Any) -> IssueFacts:
        """The facts of an item (``issues.models.Issue``)."""
        return cls(
            id=issue.id,
            task_force_id=issue.task_force_id,
            code=issue.code,
            status=issue.status,
            is_open=issue.is_open,
            owner_id=issue.owner_id,
            collaborators=tuple(sorted(Someone(person.id) for person in issue.collaborators)),
            supervised=bool(issue.supervised),
            major=bool(issue.major),
            deadline=issue.deadline,
        )


class IssuePanelsProvider(Protocol):
    """Shown on an issue's page (escalations, meetings, pilots) and, for the banners, on
    its printed forms. A provider registered with the tables it reads (``provide(…,
    reads=…)``) is kept on the page until one of them changes: it reads no other table,
    and nothing of the item but ``issue``."""

    def __call__(self, user: Reader, issue: IssueFacts, /) -> list[Section]: ...


class AgendaProvider(Protocol):
    """``kind`` is the meeting's cadence kind ("progress", "one_on_one", "review");
    ``since`` is the previous meeting's date (or None), ``until`` the date of the meeting
    being prepared."""

    def __call__(
        self, task_force_id: int, kind: str, since: date | None, until: date, /
    ) -> list[AgendaProposal]: ...


@dataclass(frozen=True)
class CalendarMore:
    """The events of one day a provider left out of a page that shows ``per_day`` a day."""

    day: date
    count: int


class CalendarProvider(Protocol):
    """The calendar page and the personal iCalendar feed; ``user`` None means the whole
    task force. With ``per_day`` (the month grid), a provider gives at most that many
    events of each day — its first, capped in SQL where a day can hold many — and a
    ``CalendarMore`` for each day it left events out of; without it, every event."""

    def __call__(
        self,
        user: Reader | None,
        task_force_id: int,
        start: date,
        end: date,
        /,
        per_day: int | None = None,
    ) -> list[CalendarEvent | CalendarMore]: ...


def first_rows_per_day(stmt: Select, day, order, per_day: int | None) -> Select:
    """``stmt``'s rows, at most ``per_day`` of each ``day`` (by ``order``), each with its
    place in the day (``rank``) and how many rows its day has (``on_day``): a window per
    day, in SQL, for providers whose days can hold many events. ``per_day`` None: all."""
    if per_day is None:
        return stmt
    ranked = stmt.add_columns(
        func.row_number().over(partition_by=day, order_by=order).label("rank"),
        func.count().over(partition_by=day).label("on_day"),
    ).subquery()
    return select(ranked).where(ranked.c.rank <= per_day)


def rows_left_out(rows, day: str, per_day: int | None) -> list[CalendarMore]:
    """How many rows of each day ``first_rows_per_day`` left out (``day``: the column)."""
    if per_day is None:
        return []
    return [
        CalendarMore(getattr(row, day), row.on_day - per_day)
        for row in rows
        if row.rank == 1 and row.on_day > per_day
    ]


def first_per_day(
    events: list[CalendarEvent], per_day: int | None
) -> list[CalendarEvent | CalendarMore]:
    """The first ``per_day`` of each day's events (in the given order), and how many of
    each day were left out: for providers whose events are few (a month's meetings)."""
    if per_day is None:
        return list(events)
    kept: list[CalendarEvent | CalendarMore] = []
    shown: dict[date, int] = {}
    for event in events:
        day = event.start.date() if isinstance(event.start, datetime) else event.start
        shown[day] = shown.get(day, 0) + 1
        if shown[day] <= per_day:
            kept.append(event)
    kept += [CalendarMore(day, n - per_day) for day, n in shown.items() if n > per_day]
    return kept


MY_ITEMS: Hook[MyItemsProvider] = Hook("my_items")
ISSUE_PANELS: Hook[IssuePanelsProvider] = Hook("issue_panels")
# Shown at the top of an issue's page, above everything else, and on its printed forms
# (the supervision notice, the dossier PDF), where the template is rendered with
# ``printed`` true: the leader's instructions.
ISSUE_BANNERS: Hook[IssuePanelsProvider] = Hook("issue_banners")
AGENDA: Hook[AgendaProvider] = Hook("agenda")
CALENDAR: Hook[CalendarProvider] = Hook("calendar")


@dataclass(frozen=True)
class ReviewSection:
    """One section of the quarterly review pack (季度复盘材料).

    ``build(task_force_id, quarter)`` returns the context ``template`` (a PDF partial,
    e.g. ``decisions/_review.html``) is rendered with; ``quarter`` is a
    ``core.quarters.Quarter`` (``first_day``, ``last_day``). A ``figures`` entry in that
    context, a list of ``(label, value)``, is also printed on the pack's summary page.
    ``build`` runs a bounded number of queries and must cope with an empty quarter.
    """

    key: str
    order: int
    title: object  # a lazy string
    template: str
    build: Callable[[int, Quarter], dict[str, Any]]


class SectionRegistry:
    """A document's sections by ``order`` (``ReviewSection`` or ``BulletinSection``): the
    problem list's own, and those features add."""

    def __init__(self) -> None:
        self._sections: dict[str, Any] = {}

    def register(self, section: Any) -> Any:
        self._sections[section.key] = section
        return section

    def unregister(self, key: str) -> None:
        self._sections.pop(key, None)

    def ordered(self) -> list[Any]:
        return sorted(self._sections.values(), key=lambda s: (s.order, s.key))


# The quarterly review pack's sections. Orders: cover and summary first, then 30 progress
# by dimension, 40 closed items, 50 open and red items, 60 escalations and decisions,
# 70 pilots and rollout, 80 meetings, 90 scorecards, recognition and intake,
# 100 next quarter's priorities.
REVIEW_SECTIONS = SectionRegistry()


@dataclass(frozen=True)
class BulletinSection:
    """One section of the monthly supervision bulletin (督办通报).

    ``build(task_force_id, month)`` returns the context ``template`` (a PDF partial) is
    rendered with; ``month`` is a ``core.quarters.Month``. A ``figures`` entry, a list of
    ``(label, value)``, also goes into the bulletin's lead paragraph. ``build`` runs a
    bounded number of queries and must cope with an empty month.
    """

    key: str
    order: int
    title: object  # a lazy string
    template: str
    build: Callable[[int, Month], dict[str, Any]]


# The bulletin's sections by order: 10 closed items, 20 overdue items (the problem list),
# 30 items delayed more than once, 40 unanswered instructions, 50 nudges, 60 org units'
# ranking (decisions), 70 units behind pace (kpis).
BULLETIN_SECTIONS = SectionRegistry()


@dataclass(frozen=True)
class MeetingChoice:
    """A meeting another feature may point at (schedule onto, decide in)."""

    id: int
    label: str  # title and counterpart, translated where need be
    day: date
    kind: str  # "progress", "one_on_one", "review"
    status: str  # "planned", "held", "published"
    url: str | None = None


class MeetingChoicesProvider(Protocol):
    """The meetings of the task force, not cancelled, on a day from ``start`` to ``end``,
    plus those whose id is in ``ids`` whatever their day (to show or check a meeting one
    points at; ``start`` None: only those). One query."""

    def __call__(
        self,
        task_force_id: int,
        start: date | None,
        end: date | None,
        /,
        ids: Collection[int] = (),
    ) -> list[MeetingChoice]: ...


class MeetingPanelsProvider(Protocol):
    """Shown on a meeting's page (the decisions taken in it)."""

    def __call__(self, user: Reader, meeting: TaskForceRow, /) -> list[Section]: ...


class IssueEventProvider(Protocol):
    """Told of an event on an item (``kind`` "status", …) as it happens: ``message``
    returns its text in the current language, ``key`` names the event (for the outbox's
    unique keys), ``told`` holds the ids of the people its own messages told already.
    The discussion tells the item's followers."""

    def __call__(
        self,
        actor: Reader,
        issue: TaskForceRow,
        kind: str,
        message: Callable[[], str],
        key: str,
        told: Collection[int],
        /,
    ) -> list: ...


ISSUE_EVENTS: Hook[IssueEventProvider] = Hook("issue_events")


@dataclass(frozen=True)
class ItemEvent:
    """Something that happened to an item, for systems outside (the webhooks of
    ``notify``): ``kind`` is "created", "status_changed", "closed" or "commented";
    ``details`` holds "from" and "to" (status keys) and "reason" for a status change or
    a closing, "comment_id" and "text" for a comment. Told as it happens, in the unit of
    work of the change, so what a provider writes is kept or rolled back with it."""

    kind: str
    actor: Reader
    issue: TaskForceRow
    details: dict[str, Any] = field(default_factory=dict)


class ItemEventProvider(Protocol):
    """Told of an item's event; writes what it must in the caller's transaction (never
    commits) with a bounded number of queries."""

    def __call__(self, event: ItemEvent, /) -> list: ...


# Created and status changes from the problem list's services, comments from the
# discussion; notify queues them for the webhooks that subscribed.
ITEM_EVENTS: Hook[ItemEventProvider] = Hook("item_events")


MEETING_CHOICES: Hook[MeetingChoicesProvider] = Hook("meeting_choices")
MEETING_PANELS: Hook[MeetingPanelsProvider] = Hook("meeting_panels")


@dataclass(frozen=True)
class UnitResult:
    """How an org unit does on the goal figures broken down over it (目标任务分解), for
    the scorecards by org unit: how many it carries, how many are on pace (green), slightly
    behind (yellow) or behind (red) in their latest period read, the mean attainment of
    those periods (1.0 = exactly on target), the worst light and its words, and the
    endpoint that shows the unit's goal figures (``url_for(endpoint, unit_id=…)``)."""

    org_unit_id: int
    carried: int
    on_pace: int
    slightly_behind: int
    behind: int
    attainment: float | None
    light: str | None  # "green", "yellow", "red"; None before any reading
    light_label: str
    endpoint: str


class UnitResultsProvider(Protocol):
    """Every org unit carrying a goal figure of the task force, as it stood on ``day``:
    a fixed number of queries whatever the units, periods and figures."""

    def __call__(self, task_force_id: int, day: date, /) -> list[UnitResult]: ...


UNIT_RESULTS: Hook[UnitResultsProvider] = Hook("unit_results")


@dataclass(frozen=True)
class NarrativeFact:
    """A passage of Markdown the quarterly review's narrative (汇报正文) starts from: the
    section it goes in (``"results"``, ``"problems"``, ``"practices"``, ``"mechanisms"``,
    ``"plan"``, ``"decisions"``, ``"assessment"``), its place there (lower first), and its
    text in the current language. The person drafting the narrative edits it."""

    section: str
    order: int
    markdown: str


class FactsProvider(Protocol):
    """What a feature's data says of one quarter, for the narrative's pre-fill: a bounded
    number of queries, and an empty list for an empty quarter."""

    def __call__(self, task_force_id: int, quarter: Quarter, /) -> list[NarrativeFact]: ...


REVIEW_FACTS: Hook[FactsProvider] = Hook("review_facts")
