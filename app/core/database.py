"""How the app opens its database connections.

SQLite allows one writer at a time. In its write-ahead-log mode (WAL) pages are read
while someone writes, and with a busy timeout a second writer waits for the first to
commit instead of failing at once with "database is locked". Both are set on every new
connection; the timeout (``SQLITE_BUSY_TIMEOUT_SECONDS``) must be longer than the
longest write. No code holds a transaction open across network I/O (see
``app/notify/delivery.py``), so a write is short. PostgreSQL needs neither.
"""

from __future__ import annotations

from sqlalchemy import Engine, event


def configure_engine(engine: Engine, busy_timeout_seconds: int) -> None:
    """Install the per-connection settings ``engine``'s database needs."""
    if engine.dialect.name != "sqlite":
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
