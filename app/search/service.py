"""Searching: what the reader may read, matching the query, best first, grouped by kind.

Who reads what is decided in SQL, before ranking and paging: an entry shows when its
task force is one of the reader's and the reader's role there is granted the entry's
view action (``core.permissions``), or when it is an intake submission the reader sent
(frontline staff find their own and nothing else). The query is always a bound
parameter; each of its terms is quoted for FTS5, or turned into a ``tsquery`` by
PostgreSQL's own functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, column, func, literal_column, or_, select, table
from sqlalchemy.sql.elements import ColumnElement

from app.core import clock
from app.core.permissions import allowed
from app.core.scope import unscoped
from app.discussion.kinds import KINDS as THREADS
from app.extensions import db
from app.issues.models import Issue
from app.search.models import SearchEntry
from app.search.registry import KINDS
from app.search.tokens import Term, parse_query

PER_PAGE = 20
PER_GROUP = 5  # results of each kind on the page of all kinds
CODE = re.compile(r"^\s*([A-Za-z]{1,10}-\d{1,6})\s*$")
E = SearchEntry


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    task_force_id: int | None = None
    person_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass
class Reader:
    """Who searches: the user and the roles they hold on each of their task forces."""

    user_id: int
    roles: dict[int, set[str]]  # task force id → roles there

    @classmethod
    def of(cls, user, task_forces) -> Reader:
        return cls(user.id, {tf.id: user.roles_in(tf.id) for tf in task_forces})

    def may(self, task_force_id: int, action: str) -> bool:
        return allowed(self.roles.get(task_force_id, set()), action)


@dataclass
class Group:
    kind: str
    count: int
    rows: list = field(default_factory=list)
    best: float = 0.0


# --- who reads what ----------------------------------------------------------------------


def visible(reader: Reader) -> ColumnElement[bool]:
    """The entries ``reader`` may read, as one SQL condition."""
    actions = _views()
    parts = []
    for task_force_id, roles in reader.roles.items():
        granted = sorted(action for action in actions if allowed(roles, action))
        if granted:
            parts.append(and_(E.task_force_id == task_force_id, E.view.in_(granted)))
    parts.append(and_(E.kind == "intake_submission", E.person_id == reader.user_id))
    return or_(*parts)


def _views() -> set[str]:
    """The view actions entries are read with (those of ``kinds.py``)."""
    return {
        "issue.view", "escalation.view", "meeting.view", "pilot.view", "kpi.view",
        "intake.triage", *(thread.read_action for thread in THREADS.values()),
    }  # fmt: skip


# --- matching and ranking ----------------------------------------------------------------


def fts5_query(terms: list[Term]) -> str:
    """The FTS5 query of ``terms``: each a quoted phrase (its quotes doubled), a lone
    Chinese character a quoted prefix; all of them must match."""
    parts = []
    for term in terms:
        phrase = '"' + " ".join(token.replace('"', '""') for token in term.tokens) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return " ".join(parts)


def _matching(terms: list[Term]):
    """(condition, score): the entries matching every term, and how well (higher first)."""
    if db.engine.dialect.name == "postgresql":
        queries = []
        for term in terms:
            if term.prefix:
                # A lone CJK character (the tokenizer lets nothing else through) as a prefix.
                queries.append(func.to_tsquery("simple", term.tokens[0] + ":*"))
            else:
                queries.append(func.phraseto_tsquery("simple", " ".join(term.tokens)))
        query = queries[0]
        for more in queries[1:]:
            query = query.op("&&")(more)
        tsv = literal_column("search_entry.tsv")
        return tsv.op("@@")(query), func.ts_rank(tsv, query)
    engine_table = table("search_fts", column("rowid"))
    name = literal_column("search_fts")
    fts = (
        select(engine_table.c.rowid.label("id"), func.bm25(name).label("score"))
        .where(name.op("MATCH")(fts5_query(terms)))
        .subquery("fts")
    )
    return fts, -fts.c.score


def _filtered(reader: Reader, filters: Filters) -> list[ColumnElement[bool]]:
    parts = [visible(reader)]
    if filters.task_force_id:
        parts.append(E.task_force_id == filters.task_force_id)
    if filters.person_id:
        parts.append(E.person_id == filters.person_id)
    if filters.since:
        parts.append(E.at >= clock.start_of_day(filters.since))
    if filters.until:
        parts.append(E.at < clock.start_of_day(filters.until + timedelta(days=1)))
    return parts


def _base(reader: Reader, filters: Filters, terms: list[Term], *columns):
    matching, score = _matching(terms)
    statement = select(*columns, score.label("score")).select_from(E)
    if isinstance(matching, ColumnElement):
        statement = statement.where(matching)
    else:  # the FTS5 hits, joined by rowid
        statement = statement.join(matching, matching.c.id == E.id)
    return statement.where(*_filtered(reader, filters)), score


# --- the search --------------------------------------------------------------------------


def item_by_code(reader: Reader, query: str) -> Issue | None:
    """The item whose code ``query`` is, when the reader may open it."""
    match = CODE.match(query or "")
    if not match:
        return None
    readable = [tf for tf in reader.roles if reader.may(tf, "issue.view")]
    if not readable:
        return None
    with unscoped():
        return db.session.scalar(
            select(Issue)
            .where(
                func.upper(Issue.code) == match.group(1).upper(), Issue.task_force_id.in_(readable)
            )
            .order_by(Issue.id)
            .limit(1)
        )


def _entries(ranked: list) -> list:
    """``(entry, score)`` for ``(id, score)`` rows, in their order: the wide rows are read
    only for what is shown, never sorted."""
    wanted = [row[0] for row in ranked]
    found = {entry.id: entry for entry in db.session.scalars(select(E).where(E.id.in_(wanted)))}
    return [(found[row[0]], row[1]) for row in ranked if row[0] in found]


def overview(reader: Reader, query: str, filters: Filters, n: int = PER_GROUP):
    """The number of results of each kind, and the best ``n`` of each: one query (a
    window over the kinds) for the ranks and counts, one for the shown entries."""
    terms = parse_query(query)
    if not terms:
        return {}, []
    plain = Filters(**{**filters.__dict__, "kind": ""})
    statement, score = _base(reader, plain, terms, E.id, E.kind)
    # Both windows sort alike, so the engine sorts the matches once.
    order = (score.desc(), E.id.desc())
    ranked = statement.add_columns(
        func.row_number().over(partition_by=E.kind, order_by=order).label("rn"),
        func.count().over(partition_by=E.kind, order_by=order, rows=(None, None)).label("n"),
    ).subquery()
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.score, ranked.c.kind, ranked.c.n)
        .where(ranked.c.rn <= n)
        .order_by(ranked.c.score.desc(), ranked.c.id.desc())
    ).all()
    totals = {row.kind: row.n for row in rows if row.kind in KINDS}
    return totals, _entries(rows)


def page_of_kind(reader: Reader, query: str, filters: Filters, page: int):
    """One page of the results of the kind ``filters.kind``, best first."""
    terms = parse_query(query)
    if not terms or filters.kind not in KINDS:
        return []
    statement, score = _base(reader, filters, terms, E.id)
    statement = statement.where(E.kind == filters.kind).order_by(score.desc(), E.id.desc())
    ranked = db.session.execute(statement.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return _entries(ranked)


def group(rows, totals: dict[str, int]) -> list[Group]:
    """Rows as groups by kind, the group with the best result first."""
    groups: dict[str, Group] = {}
    for entry, score in rows:
        found = groups.setdefault(
            entry.kind, Group(entry.kind, totals.get(entry.kind, 0), best=score)
        )
        found.rows.append(entry)
        found.best = max(found.best, score)
    return sorted(groups.values(), key=lambda g: (-g.best, KINDS[g.kind].order))
