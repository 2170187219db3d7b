"""Counts over a task force's items, kept as the items change.

The battle map counts all of a task force's items into a score of figures (open,
overdue, red, closed this quarter…, and per owner; and per category for its
dimensions), the scorecards into theirs per member or unit. Counted afresh on the first
view after every change, the battle map was the slowest page of all at 10,000 items.
Here each worker keeps, per task force and day, every item's answers to the figures'
clauses (one bit each) and the sums; on a new data version it reads from the journal of
versions (``DataChange``, written at each commit by ``core.freshness``) which items
changed since, asks the database for those items' bits with the very same clauses, and
moves the sums by the difference. Two small queries, whatever the number of items.

The clauses stay the figures' one definition, in SQL: nothing here decides what an item
counts for. What the journal cannot account for is counted afresh: a version without
its row (a restore, a write past the application), a change to items it could not name
(a statement over many rows), more than ``RECOUNT_AT_MOST`` items, a new day.

Within a day, one clause moves with the clock: an item turns stale (yellow) when its
last activity falls behind ``LightRules.stale_before``. Each open item's last activity
is kept in order, and the items that crossed the line since the last count are counted
again with those that changed.
"""

from __future__ import annotations

import heapq
import operator
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, reduce
from threading import Lock
from typing import Any

from flask import g as request_state
from flask import has_request_context
from sqlalchemy import Select, and_, bindparam, case, literal, select

from app.core.database import among_ids, constants_written_in
from app.core.freshness import fragment_cache
from app.core.models import DataChange
from app.extensions import db
from app.issues.lights import STALE_BEFORE, LightRules, last_activity, stale_line
from app.issues.models import OPEN_STATUSES, Issue
from app.people.models import TaskForce

# More changed items than this since the kept count: counted afresh (one query either way).
RECOUNT_AT_MOST = 200
_BITS_AT_MOST = 30  # the bits of a 32-bit integer column, on every engine


@dataclass(frozen=True)
class Counts:
    """Each figure's count among all the items, and among each group's (by the
    ``group`` column: an owner's, say); for the ``listed`` figures, the ids of their
    first items in ``order``."""

    totals: dict[str, int]
    groups: dict[Any, dict[str, int]]
    first: dict[str, list[int]] = field(default_factory=dict)


class _Kept:
    """One task force's counts for one set of figures and one day, and what moves them."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.version: int | None = None
        self.stale_before: datetime | None = None
        # item id -> (its group, its bits, its place in the order of the listed figures)
        self.items: dict[int, tuple[Any, int, Any]] = {}
        self.sums: dict[Any, list[int]] = {}  # group -> each figure's count
        self.listed: dict[int, set[int]] = {}  # a listed figure's bit -> its items
        # (last activity, item id) of the open items not yet stale, in order.
        self.activity: list[tuple[datetime, int]] = []
        self.query: _Query | None = None  # what the bits are read with, built once

    def __eq__(self, other: object) -> bool:
        """The same counts of the same items at the same version (whoever's request
        counted them, whenever in the day)."""
        if not isinstance(other, _Kept):
            return NotImplemented
        return self._counted() == other._counted()

    __hash__ = None  # type: ignore[assignment]  (changes as it moves on)

    def _counted(self) -> tuple:
        return (self.version, self.items, self.sums, self.listed)

    def add(self, item_id: int, row: tuple[Any, int, Any], sign: int, width: int) -> None:
        """One item counted in (``sign`` 1) or out (-1)."""
        group, bits, _ = row
        self.move_sums(group, bits, sign, width)
        for bit, items in self.listed.items():
            if bits & bit:
                (items.add if sign > 0 else items.discard)(item_id)

    def move_sums(self, group: Any, bits: int, by: int, width: int) -> None:
        sums = self.sums.get(group)
        if sums is None:
            sums = self.sums[group] = [0] * width
        position = 0
        while bits:
            if bits & 1:
                sums[position] += by
            bits >>= 1
            position += 1

    def first(self, bit: int, limit: int) -> list[int]:
        """The first ``limit`` items of a listed figure: by the order's value, those
        without one last, then by id."""

        def place(item_id: int):
            value = self.items[item_id][2]
            return (value is None, 0 if value is None else value, item_id)

        return heapq.nsmallest(limit, self.listed[bit], key=place)


def counted(
    task_force: TaskForce,
    name: str,
    figures: dict[str, Any] | Callable[[], dict[str, Any]],
    rules: LightRules,
    group=None,
    listed: tuple[str, ...] = (),
    order=None,
    limit: int = 0,
) -> Counts:
    """How many of ``task_force``'s items each of ``figures`` (name: WHERE clause over
    ``Issue``; or what makes them, called once a day) admits, in all and per value of
    ``group`` (a column of ``Issue``), as of its current data version; and the first
    ``limit`` items of each ``listed`` figure by ``order`` (a column of ``Issue``).
    ``name`` names the set of figures: the same name must always come with the same
    figures, group, lists and order. The figures may name the stale line of ``rules``
    only as ``lights.stale_line`` (each read gives it), their other values only as the
    day and the light settings of ``rules`` fix them (they are built once a day)."""
    key = (
        "tally",
        name,
        task_force.id,
        task_force.created_at,
        rules.today,
        rules.due_soon_days,
        rules.stale_days,
    )
    kept = fragment_cache().get_or_build(key, _Kept)
    with kept.lock:
        if kept.query is None:
            # Built once a day (what the key holds): building the figures' clauses and
            # their statement costs more than reading a changed item's bits with it.
            made = figures() if callable(figures) else figures
            assert len(made) <= _BITS_AT_MOST
            kept.query = _Query(task_force.id, made, group, order)
        query = kept.query
        names = list(query.figures)
        bits = {figure: 1 << names.index(figure) for figure in listed}
        _bring_up_to(kept, task_force.data_version, query, rules, set(bits.values()))
        groups = {g: dict(zip(names, sums, strict=True)) for g, sums in kept.sums.items()}
        first = {figure: kept.first(bit, limit) for figure, bit in bits.items()}
    totals = dict.fromkeys(names, 0)
    for sums in groups.values():
        for figure, value in sums.items():
            totals[figure] += value
    return Counts(totals, {g: sums for g, sums in groups.items() if any(sums.values())}, first)


class _KeptRows:
    """One task force's rows of one statement, in groups, and what they make."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.version: int | None = None
        self.items: dict[int, list] = {}  # item id -> its rows
        self.groups: dict[Any, list] = {}  # group -> its rows in order
        self.made: tuple[int, Any] | None = None  # (version, what ``make`` made)

    def __eq__(self, other: object) -> bool:
        """The same rows at the same version (whoever's request read them)."""
        if not isinstance(other, _KeptRows):
            return NotImplemented
        return (self.version, self.groups) == (other.version, other.groups)

    __hash__ = None  # type: ignore[assignment]  (changes as it moves on)

    def read(self, rows: Iterable, item, group: Callable, order: Callable) -> None:
        for row in rows:
            self.items.setdefault(row._mapping[item], []).append(row)
            insort(self.groups.setdefault(group(row), []), row, key=order)

    def forget(self, item_id: int, group: Callable) -> None:
        for row in self.items.pop(item_id, ()):
            rows = self.groups[group(row)]
            rows.remove(row)
            if not rows:
                del self.groups[group(row)]


def kept_rows(
    task_force: TaskForce,
    name: Hashable,
    stmt: Select,
    item,
    group: Callable[[Any], Hashable],
    order: Callable[[Any], Any],
    make: Callable[[dict[Any, list]], Any],
) -> Any:
    """``make`` of ``stmt``'s rows as of ``task_force``'s current data version, given
    them in groups ({``group(row)``: its rows by ``order(row)``}; ``make`` must not keep
    or change them). ``stmt`` reads rows of that task force's items and their parts
    alone, each naming its item in the column ``item``; after a change only the changed
    items' rows are read again (``stmt`` narrowed to them), by the journal as the counts
    are. ``name`` names the statement and what is made of it: the same name must always
    come with the same statement (its parameters, a month's first and last day, belong
    in the name) and the same ``make``."""
    key = ("tally.rows", name, task_force.id, task_force.created_at)
    kept = fragment_cache().get_or_build(key, _KeptRows)
    version = task_force.data_version
    with kept.lock:
        if kept.version != version:
            try:
                changed = _changed_since(kept, task_force.id, version)
                if changed is None:
                    kept.items, kept.groups = {}, {}
                    kept.read(db.session.execute(stmt), item, group, order)
                elif changed:
                    for item_id in changed:
                        kept.forget(item_id, group)
                    narrowed = stmt.where(among_ids(item, sorted(changed)))
                    kept.read(db.session.execute(narrowed), item, group, order)
            except BaseException:
                kept.version = None  # half read: read afresh next time
                raise
            kept.version = version
        if kept.made is None or kept.made[0] != version:
            kept.made = (version, make(kept.groups))
        return kept.made[1]


@dataclass(frozen=True)
class _Query:
    """What the items' bits are read with. Its statements are built once and given the
    stale line (``STALE_BEFORE``, the one clause that moves within a day) at each read."""

    task_force_id: int
    figures: dict[str, Any]
    group: Any
    order: Any

    @cached_property
    def every_item(self) -> Select:
        """Each item's id, group, bits (bit i: the i-th figure admits it), place in the
        order and, if it is open and not yet stale, its last activity."""
        bits = reduce(
            operator.add,
            (
                case((clause, literal(1 << i)), else_=literal(0))
                for i, clause in enumerate(self.figures.values())
            ),
        )
        activity = last_activity()
        not_stale_yet = and_(Issue.status.in_(OPEN_STATUSES), activity >= stale_line(None))
        # Its values (the day's dates, the statuses) written in: PostgreSQL then plans it
        # once, where it planned each recount afresh (about 1.5 ms for one item).
        return constants_written_in(
            select(
                Issue.id,
                self.group if self.group is not None else literal(None),
                bits,
                self.order if self.order is not None else literal(None),
                case((not_stale_yet, activity), else_=None),
            ).where(Issue.task_force_id == self.task_force_id),
            given=(STALE_BEFORE,),
        )

    @cached_property
    def some_items(self) -> Select:
        """The same for the items of the parameter ``items``."""
        return self.every_item.where(Issue.id.in_(bindparam("items", expanding=True)))


def _bring_up_to(
    kept: _Kept, version: int, query: _Query, rules: LightRules, listed: set[int]
) -> None:
    stale_before = rules.stale_before
    if kept.version == version and kept.stale_before == stale_before:
        return
    try:
        changed = _changed_since(kept, query.task_force_id, version)
        if changed is None or set(kept.listed) != listed:
            _count_all(kept, query, stale_before, listed)
        else:
            changed |= _turned_stale(kept, stale_before)
            if changed:
                _recount(kept, query, stale_before, changed)
    except BaseException:
        kept.version = None  # half moved (a query failed): counted afresh next time
        raise
    kept.version = version
    kept.stale_before = stale_before


def _changed_since(kept: _Kept | _KeptRows, task_force_id: int, version: int) -> set[int] | None:
    """The items changed after the kept version up to ``version``; None when the journal
    cannot say (see the module's docstring). Read once per request for the counts of
    one task force kept at the same version (the battle map keeps two sets)."""
    if kept.version is None or kept.version > version:
        return None
    if kept.version == version:
        return set()
    if not has_request_context():
        return _read_journal(kept.version, task_force_id, version)
    read = request_state.setdefault("tally_journal", {})
    step = (task_force_id, kept.version, version)
    if step not in read:
        read[step] = _read_journal(kept.version, task_force_id, version)
    found = read[step]
    return None if found is None else set(found)


def _read_journal(since: int, task_force_id: int, version: int) -> set[int] | None:
    steps, items = set(), set()
    for step, item_id, any_item in db.session.execute(
        select(DataChange.version, DataChange.item_id, DataChange.any_item).where(
            DataChange.task_force_id == task_force_id,
            DataChange.version > since,
            DataChange.version <= version,
        )
    ):
        if any_item:
            return None
        if item_id is None:
            steps.add(step)
        else:
            items.add(item_id)
    if len(steps) != version - since or len(items) > RECOUNT_AT_MOST:
        return None
    return items


def _turned_stale(kept: _Kept, stale_before: datetime) -> set[int]:
    """The open items whose last activity fell behind the stale line since the count."""
    if kept.stale_before is None or stale_before <= kept.stale_before:
        return set()
    end = bisect_left(kept.activity, (stale_before,))
    crossed = {item_id for _, item_id in kept.activity[:end]}
    del kept.activity[:end]
    return crossed


def _count_all(kept: _Kept, query: _Query, stale_before: datetime, listed: set[int]) -> None:
    rows = db.session.execute(query.every_item, {STALE_BEFORE: stale_before}).all()
    kept.items = {item_id: (g, bits, place) for item_id, g, bits, place, _ in rows}
    kept.sums = {}
    width = len(query.figures)
    # Most items share their group and bits with many others: each pair counted once.
    for (g, bits), number in Counter((g, bits) for g, bits, _ in kept.items.values()).items():
        kept.move_sums(g, bits, number, width)
    kept.listed = {
        bit: {item_id for item_id, (_, bits, _) in kept.items.items() if bits & bit}
        for bit in listed
    }
    kept.activity = sorted((at, item_id) for item_id, *_, at in rows if at is not None)


def _recount(kept: _Kept, query: _Query, stale_before: datetime, items: Iterable[int]) -> None:
    wanted = sorted(items)
    rows = db.session.execute(query.some_items, {"items": wanted, STALE_BEFORE: stale_before})
    found = {item_id: row for item_id, *row in rows}
    width = len(query.figures)
    for item_id in wanted:
        before = kept.items.pop(item_id, None)
        if before is not None:
            kept.add(item_id, before, -1, width)
        now = found.get(item_id)
        if now is not None:  # else deleted, or moved to another task force
            g, bits, place, at = now
            kept.items[item_id] = (g, bits, place)
            kept.add(item_id, kept.items[item_id], 1, width)
            if at is not None:
                insort(kept.activity, (at, item_id))
