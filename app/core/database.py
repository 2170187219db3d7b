"""How the app opens its database connections.

SQLite allows one writer at a time. In its write-ahead-log mode (WAL) pages are read
while someone writes, and with a busy timeout a second writer waits for the first to
commit instead of failing at once with "database is locked". Both are set on every new
connection; the timeout (``SQLITE_BUSY_TIMEOUT_SECONDS``) must be longer than the
longest write. No code holds a transaction open across network I/O (see
``app/notify/delivery.py``), so a write is short. PostgreSQL needs neither.

A server's connection can be lost while it waits in the pool (the server restarted, a
firewall dropped an idle socket): a connection that has waited longer than
``PING_AFTER_IDLE_SECONDS`` is pinged before it is handed out, and a dead one is replaced
by a fresh one, so no page fails for it. One used a moment ago is handed out as it is:
a ping on every checkout (``pool_pre_ping``) cost each request a round trip to the
server, about 1 ms of a kept page's 5 on PostgreSQL. Should the server go down in that
moment, the query that meets the dead connection fails and SQLAlchemy recycles every
connection of the pool, as it would for a server lost in the middle of a request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from threading import Lock
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import Engine, Integer, String, any_, bindparam, event, literal_column
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from app.extensions import db

PING_AFTER_IDLE_SECONDS = 1.0


def configure_engine(engine: Engine, busy_timeout_seconds: int) -> None:
    """Install the per-connection settings ``engine``'s database needs."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine)
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _connection_record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # First the timeout: switching a file to WAL waits for other connections.
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a connection that has been idle in the pool for a while before it is used
    (SQLAlchemy's "pessimistic" disconnect handling, for idle connections only)."""

    @event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection, connection_record) -> None:
        if connection_record is not None:
            connection_record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, connection_record, _proxy) -> None:
        returned_at = connection_record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a fresh one).
            raise DisconnectionError(str(error)) from error


def refresh_statistics() -> int:
    """SQLite keeps no statistics of its tables by itself: without them its planner
    guessed, and read the filtered list's items through the task force's index (all of
    them, 4 ms at 10,000) where the index of (task force, category) reads a category's
    alone (0.3 ms). ``ANALYZE`` measures them (45 ms at 10,000 items); run daily, and
    after the demo or a restore is loaded. PostgreSQL's autovacuum does it by itself:
    nothing to do there. Returns the number of databases analysed (0 or 1)."""
    if db.engine.dialect.name != "sqlite":
        return 0
    with db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return 1


def among_ids(column, ids: list[int]):
    """SQL: ``column IN ids``. On PostgreSQL, one array parameter (``= ANY``): a few
    hundred ids as as many parameters cost the driver and the server about 1.4 ms more
    (the board's blockers of its 175 cards), and each number of them made a statement
    of its own to prepare."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def constant_in(column, values):
    """SQL: ``column IN values`` for the code's own constants (the open statuses, say),
    written into the statement rather than sent as parameters. PostgreSQL keeps one plan
    for a prepared statement once that plan is as cheap as one made for the values at
    hand; with the statuses as parameters it cannot know how few rows they select, and
    it planned such a statement afresh at every execution (half a millisecond to one)."""
    return column.in_([constant(value) for value in values])


def constant(value: int | str):
    """One of the code's constants (a page's number of rows, for ``LIMIT``) written into
    the statement, for the reason ``constant_in`` gives. Written as SQL once, when the
    statement is compiled (a parameter written in at each run, ``literal_execute``, cost
    a few tenths of a millisecond per statement)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not a constant of the code: {value!r}")
    if isinstance(value, int):
        return literal_column(str(value), Integer)
    return literal_column("'" + value.replace("'", "''") + "'", String)


def constants_written_in(stmt, given: Collection[str] = ()):
    """``stmt`` with the value of every parameter written in, as ``constant_in`` writes
    one, but for the parameters named in ``given`` (set at each execution): for a
    statement built once and run many times with the same values (the kept counts', per
    task force and day, ``issues.tally``)."""

    dialect = db.engine.dialect

    def write_in(element, **_kw):
        if isinstance(element, BindParameter) and not (element.key in given or element.required):
            if element.expanding:
                return element.render_literal_execute()
            # As SQL now, once, not at each run (a tenth of a millisecond at each of
            # the kept counts' recounts).
            written = element.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            return literal_column(written.string, element.type)
        return None

    return visitors.replacement_traverse(stmt, {}, write_in)


Statement = TypeVar("Statement")
# Statements kept by the worker (``kept_statement``): a few per page and reader a day.
KEPT_STATEMENTS_AT_MOST = 1024
_kept_statements: OrderedDict[Hashable, Any] = OrderedDict()
_kept_lock = Lock()


class KeptStatementDiffers(AssertionError):
    """A statement built anew differs from the one kept under the same parts: it depends
    on something its parts leave out, and the kept one would run with stale values."""


def kept_statement(
    name: str, parts: Hashable, build: Callable[[], Statement], given: Collection[str] = ()
) -> Statement:
    """``build()``, a statement that depends on nothing but ``parts`` (the day, the
    reader, the task force…), built once per ``parts`` and kept by the worker: building a
    page's biggest statements, and SQLAlchemy's key of each at its first run, cost more
    than running them. The parameters named in ``given`` are made required: each run
    gives them (the stale line of the moment, ``issues.lights.STALE_BEFORE``).

    Under test every call builds the statement anew and compares it with the kept one,
    its shape and each value: a part of what it depends on left out of ``parts`` fails
    the suite (``KeptStatementDiffers``)."""
    key = (name, db.engine.dialect.name, parts)
    with _kept_lock:
        kept = _kept_statements.get(key)
        if kept is not None:
            _kept_statements.move_to_end(key)
    checking = has_app_context() and current_app.testing
    if kept is not None and not checking:
        return kept
    built = _given_at_each_run(build(), given)
    if kept is not None:
        if _fingerprint(built, given) != _fingerprint(kept, given):
            raise KeptStatementDiffers(f"{name}: built anew for {parts!r}, it differs")
        return kept
    with _kept_lock:
        _kept_statements[key] = built
        while len(_kept_statements) > KEPT_STATEMENTS_AT_MOST:
            _kept_statements.popitem(last=False)
    return built


def _given_at_each_run(stmt, given: Collection[str]):
    """``stmt`` with each parameter named in ``given`` required (no value of its own)."""
    if not given:
        return stmt

    def required(element, **_kw):
        if isinstance(element, BindParameter) and element.key in given:
            return bindparam(element.key, type_=element.type, required=True)
        return None

    return visitors.replacement_traverse(stmt, {}, required)


def _fingerprint(stmt, given: Collection[str]) -> tuple:
    """A statement's SQL on this database and the values of its parameters."""
    compiled = stmt.compile(dialect=db.engine.dialect)
    values = sorted((name, repr(v)) for name, v in compiled.params.items() if name not in given)
    return compiled.string, values
