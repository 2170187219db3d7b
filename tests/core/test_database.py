"""How the app opens its database: SQLite lets readers and a writer work side by side."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's journal and locking")


def test_sqlite_keeps_a_write_ahead_log_and_waits_for_a_busy_writer(app, sqlite_only):
    """WAL: pages are read while someone writes. The busy timeout: a save waits for the
    writer before it, up to SQLITE_BUSY_TIMEOUT_SECONDS, instead of failing at once."""
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        timeout_ms = connection.execute(text("PRAGMA busy_timeout")).scalar()
    assert timeout_ms == app.config["SQLITE_BUSY_TIMEOUT_SECONDS"] * 1000


@pytest.fixture
def server_only(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("a database server's connections")


@pytest.fixture
def own_engine(app, server_only, monkeypatch):
    """An engine of the app's kind with a pool of one, idle connections pinged at once."""
    from sqlalchemy import create_engine

    from app.core import database

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=1, max_overflow=1)
    database.configure_engine(engine, 30)
    yield engine
    engine.dispose()


def test_a_connection_lost_while_idle_in_the_pool_is_replaced_before_use(own_engine):
    """The server ended the pooled connection (a restart, a dropped socket): the next
    checkout pings it, finds it dead and hands out a fresh one, so no page fails."""
    pid = text("SELECT pg_backend_pid()")
    with own_engine.connect() as other, own_engine.connect() as pooled:
        lost = pooled.execute(pid).scalar()
        pooled.close()  # back to the pool, idle
        other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": lost})
    with own_engine.connect() as connection:
        assert connection.execute(pid).scalar() != lost


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(own_engine, monkeypatch):
    """No round trip per request: the ping is for connections that waited a while."""
    from app.core import database

    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 60.0)
    pings = []
    real_ping = own_engine.dialect.do_ping
    monkeypatch.setattr(
        own_engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn)
    )
    for _ in range(3):
        with own_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []


def test_the_codes_constants_are_written_into_the_statement(app):
    """``constant_in`` and ``constant``: the statuses and the row limit are in the SQL
    text (the same text each time, so PostgreSQL can keep one plan for it), not among
    the parameters; the rows are those the plain ``IN`` and ``LIMIT`` select."""
    from sqlalchemy import event, select

    from app.core.database import constant, constant_in
    from app.core.scope import unscoped
    from app.issues.models import OPEN_STATUSES, Issue

    sent = []

    def note(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context(), unscoped():
        plain = select(Issue.id).where(Issue.status.in_(OPEN_STATUSES)).order_by(Issue.id)
        written = (
            select(Issue.id)
            .where(constant_in(Issue.status, OPEN_STATUSES))
            .order_by(Issue.id)
            .limit(constant(3))
        )
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            first = db.session.scalars(written).all()
            again = db.session.scalars(written).all()
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert first == again == db.session.scalars(plain.limit(3)).all()
    (statement, parameters), (statement_again, _) = sent
    assert statement == statement_again
    assert "'in_progress'" in statement and "LIMIT 3" in statement
    values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
    assert not set(OPEN_STATUSES) & set(values) and 3 not in values  # (SQLite: OFFSET 0)


def test_a_kept_statement_must_hold_all_it_depends_on_in_its_parts(app):
    """``kept_statement``: built once per parts; under test built anew at each call and
    compared, so a value left out of the parts fails; a parameter ``given`` at each run
    has no value of its own."""
    from sqlalchemy import bindparam, select
    from sqlalchemy.exc import StatementError

    from app.core.database import KeptStatementDiffers, kept_statement
    from app.core.scope import unscoped
    from app.issues.models import Issue

    def owned_by(owner_id: int, since=None):
        return select(Issue.id).where(
            Issue.owner_id == owner_id,
            Issue.updated_at >= bindparam("since", since),
        )

    with app.app_context(), unscoped():
        first = kept_statement("owned", (1,), lambda: owned_by(1), given=("since",))
        assert kept_statement("owned", (1,), lambda: owned_by(1), given=("since",)) is first
        assert kept_statement("owned", (2,), lambda: owned_by(2), given=("since",)) is not first
        # The owner left out of the parts: the statement built for owner 2 is not owner 1's.
        with pytest.raises(KeptStatementDiffers, match="owned-by"):
            kept_statement("owned-by", (), lambda: owned_by(1))
            kept_statement("owned-by", (), lambda: owned_by(2))
        # "since" is given at each run; a run without it fails rather than use a stale one.
        with pytest.raises(StatementError, match="since"):
            db.session.execute(first).all()
        from app.core import clock

        assert db.session.execute(first, {"since": clock.now()}).all() == []


def test_the_daily_statistics_are_measured_on_sqlite_and_left_to_the_server_elsewhere(app, world):
    from app.core.database import refresh_statistics

    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        assert refresh_statistics() == (1 if sqlite else 0)
        if sqlite:
            with db.engine.connect() as connection:
                measured = connection.exec_driver_sql(
                    "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'issue'"
                ).scalar()
            assert measured  # each of the items' indexes
