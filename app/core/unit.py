"""One unit of work: services flush, one boundary commits.

A service changes rows, adds its audit event and its outbox messages, and at most flushes
(to read generated keys, or to meet a unique key early); it never commits. What it did is
kept or dropped as one piece by the caller at the edge of the application:

- a web request: ``commit_at_boundary`` (an ``after_request`` rule) commits when the
  answer is a success (a status below 400) and nothing refused the request; an error page,
  a form shown again with a service's refusal (``core.web.form_error``), or a refusal told
  in a flash message (``refuse``) rolls everything back. A read-only request writes
  nothing (on PostgreSQL its transaction ends with a commit of nothing, which keeps the
  driver's prepared statements; see ``_end_reading``). A conflict found at the commit
  (someone else's save came first) answers the way it would have inside the view: the
  error page of the domain error, 409.
- a command: ``committing`` around the command's body;
- a job: the job runner commits each job's work (``core/jobs.py``);
- a test: ``tests/conftest.py``'s ``commit`` fixture, where a test needs what a service
  did to be seen from another connection.

So two services called by one request (an action item turned into an item; an intake
submission accepted as an item) are kept or lost together.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core import clock
from app.core.errors import DomainError
from app.extensions import db

_WROTE = "gongjian.wrote"
_SENT_WRITE = "gongjian.sent_write"
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable)


def refuse() -> None:
    """The request was refused (a service's error shown on the page or in a flash
    message): whatever it had already flushed is rolled back at the boundary."""
    if has_request_context():
        g.unit_refused = True


def refused() -> bool:
    return bool(g.get("unit_refused"))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def note_write(session: Session) -> None:
    """A write past the ORM's events (a statement sent to the driver) counts as one."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_WROTE, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_sent(conn, cursor, statement, parameters, context, executemany) -> None:
    if not _READ.match(statement):
        conn.info[_SENT_WRITE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_sent(conn) -> None:
    conn.info.pop(_SENT_WRITE, None)


def _end_reading(session: Session) -> None:
    """A request that only read ends its transaction with a commit on PostgreSQL, which
    keeps nothing there that a rollback would not: psycopg forgets the statements it has
    prepared at every rollback (one may have undone a table they name), so a rollback at
    the end of every page had the server parse and plan each of the page's statements
    afresh, about 0.7 ms a statement. Anything sent that was not a SELECT is rolled back
    as before."""
    if not session.in_transaction():
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and not connection.info.get(_SENT_WRITE):
        session.commit()


def has_writes(session: Session) -> bool:
    """Whether the session holds anything a commit would write."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def commit_at_boundary(response: Response) -> Response:
    """``after_request``: keep a successful request's work, drop a refused one's."""
    session = db.session()
    if response.status_code >= 400 or refused():
        session.rollback()
        return response
    if request.method in _SAFE_METHODS and not has_writes(session):
        _end_reading(session)
        return response
    try:
        session.commit()
    except (DomainError, IntegrityError, StaleDataError) as error:
        # Lost a race at the last moment: answered by the error handlers, as if the view
        # had raised it (409 with the reader's message), with nothing kept.
        session.rollback()
        return current_app.make_response(current_app.handle_user_exception(error))
    return response


@contextmanager
def committing():
    """Outside a request (a command, a job): commit the block's work, or roll it back
    if the block raises."""
    session = db.session()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


@contextmanager
def flushed_at(instant: datetime):
    """The clock stopped at ``instant`` while the block runs, and what the block wrote
    flushed before it moves on: rows take their timestamps when they are written, and
    services flush only when they must. For replays of history (the demo)."""
    with clock.frozen_at(instant):
        yield
        db.session().flush()


def committed(function: F) -> F:
    """A command's body as one unit of work (see ``committing``)."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with committing():
            return function(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    """Register the boundary last, so that it runs first among the ``after_request``
    rules: the response it may replace (a conflict at the commit) still gets the
    security headers and the rest."""
    app.after_request(commit_at_boundary)
