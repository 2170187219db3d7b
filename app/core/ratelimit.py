"""The rate limits' counters in the application's own database, shared by every host.

Flask-Limiter counts requests (the login form per address, the REST API per token) in a
storage of the ``limits`` package. Its default here is this one, ``gongjian+db://``: one
row per counter (``rate_limit_counter``: key, end of window, count), so two web hosts
behind one balancer, or two gunicorn workers, count against one limit, as the account
lock-out (``people``) already does.

- A hit is one atomic statement on both engines: ``INSERT … ON CONFLICT (key) DO UPDATE
  … RETURNING count`` (PostgreSQL; SQLite 3.35 and later), which starts a new window when
  the stored one has ended.
- Each statement runs on a connection and transaction of its own, never in the request's
  unit of work (``core/unit.py``): a refused login rolls the request back, and its count
  must stay.
- Windows are read from the one clock (``clock.now()``), so a test moves them with it.
- Ended windows are harmless (the next hit starts a new one) and purged by a periodic job
  (``purge_expired``).

Only the fixed-window strategy (Flask-Limiter's default) is offered. A Redis server can
take the counters instead (``RATELIMIT_STORAGE_URI=redis://…``, with the ``redis``
package installed); ``memory://`` counts per worker process.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Flask, has_app_context
from limits.storage import Storage
from sqlalchemy import Engine, Integer, String, case, delete, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.extensions import db

SCHEME = "gongjian+db"
KEY_LENGTH = 200


class RateLimitCounter(db.Model):
    """One rate limit's count in its current window (belongs to no task force)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def _stored_key(key: str) -> str:
    """The key as stored: a key longer than the column is kept as its digest."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class DatabaseStorage(Storage):
    """The ``limits`` storage over ``rate_limit_counter`` (``gongjian+db://``).

    It reads the engine of the application at hand, or, outside any application context
    (``limiter.reset()`` in a test), of the last application that bound it.
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._app: Flask | None = None

    def bind(self, app: Flask) -> None:
        self._app = app

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _engine(self) -> Engine:
        if has_app_context():
            return db.engine
        if self._app is None:
            raise RuntimeError("the rate-limit storage is used outside any application")
        with self._app.app_context():
            return db.engine

    def _upsert(self, engine: Engine):
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(RateLimitCounter.__table__)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the counter and answer its new value; a window that has
        ended starts again with ``amount``, ending ``expiry`` seconds from now."""
        table = RateLimitCounter.__table__
        now = clock.now()
        engine = self._engine()
        insert = self._upsert(engine).values(
            key=_stored_key(key), expires_at=now + timedelta(seconds=expiry), count=amount
        )
        ended = table.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((ended, insert.excluded.count), else_=table.c.count + amount),
                "expires_at": case((ended, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with engine.begin() as conn:
            return int(conn.execute(statement).scalar_one())

    def _row(self, key: str):
        table = RateLimitCounter.__table__
        query = select(table.c.count, table.c.expires_at).where(
            table.c.key == _stored_key(key), table.c.expires_at > clock.now()
        )
        with self._engine().connect() as conn:
            return conn.execute(query).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return (row.expires_at if row else clock.now()).timestamp()

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(RateLimitCounter.__table__)).rowcount

    def clear(self, key: str) -> None:
        table = RateLimitCounter.__table__
        with self._engine().begin() as conn:
            conn.execute(delete(table).where(table.c.key == _stored_key(key)))


def bind(app: Flask) -> None:
    """After ``limiter.init_app(app)``: the storage, if it is this one, knows ``app``."""
    from app.extensions import limiter

    if limiter.enabled and isinstance(limiter.storage, DatabaseStorage):
        limiter.storage.bind(app)


def purge_expired() -> str:
    """The periodic purge: counters whose window has ended (in the job's unit of work)."""
    table = RateLimitCounter.__table__
    gone = db.session.execute(delete(table).where(table.c.expires_at <= clock.now())).rowcount
    return f"rate-limit counters purged {gone}"
