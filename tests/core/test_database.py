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
