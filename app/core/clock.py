"""The one source of "now" and "today", and the two kinds of time a person reads.

Nothing else in the app calls ``datetime.now()`` or ``date.today()`` (ruff's DTZ rules
refuse them): traffic lights, memberships, reminders and reports ask this module, and
tests set it.

Two kinds of time, never mixed:

- an **instant** is a timezone-aware ``datetime`` (``now()``, every timestamp column,
  meeting starts). Columns store it as UTC through :class:`Instant` and give it back
  aware, so a naive value can neither be written nor compared by mistake.
- a **wall-clock time** is a ``date`` with a ``time`` in the configured zone
  (``TIMEZONE``, Asia/Shanghai by default): "today", "15:00 on Monday". ``at`` and
  ``start_of_day`` turn one into an instant; ``local`` and ``local_date`` turn an instant
  back into what a person in the zone reads.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import Date, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

_DEFAULT_ZONE = "Asia/Shanghai"
_frozen: datetime | None = None


class NaiveDatetime(TypeError):
    """A datetime without a zone where an instant was expected."""


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetime(
            f"naive datetime {value!r}: use clock.now(), clock.at() or clock.start_of_day()"
        )
    return value


def zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", _DEFAULT_ZONE) if has_app_context() else _DEFAULT_ZONE
    return ZoneInfo(name)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_now() -> datetime:
    """The current instant as a wall-clock time in the configured zone (aware)."""
    return now().astimezone(zone())


def today() -> date:
    """Today's date in the configured zone."""
    return local_now().date()


def at(day: date, wall: time) -> datetime:
    """The instant the zone's clocks show ``wall`` on ``day``."""
    return datetime.combine(day, wall, tzinfo=zone()).astimezone(UTC)


def start_of_day(day: date) -> datetime:
    """The instant ``day`` begins in the configured zone (local midnight)."""
    return at(day, time(0))


def end_of_day(day: date) -> datetime:
    """The instant the day after ``day`` begins: the exclusive end of ``day``."""
    return start_of_day(day + timedelta(days=1))


def local(instant: datetime) -> datetime:
    """``instant`` as the zone's clocks show it (aware, in the zone)."""
    return _require_aware(instant).astimezone(zone())


def local_date(instant: datetime) -> date:
    """The zone's calendar day of ``instant``."""
    return local(instant).date()


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at an aware ``instant``; ``None`` lets it run again."""
    global _frozen
    _frozen = _require_aware(instant).astimezone(UTC) if instant is not None else None


def set_today(day: date, hour: int = 10, minute: int = 0) -> None:
    """Freeze the clock at ``hour:minute`` local time on ``day``."""
    set_now(at(day, time(hour, minute)))


@contextmanager
def frozen_at(instant: datetime):
    previous = _frozen
    set_now(instant)
    try:
        yield
    finally:
        set_now(previous)


class Instant(TypeDecorator):
    """A column of instants: stored as naive UTC, read back aware in UTC.

    Writing a naive datetime raises :class:`NaiveDatetime`: no code can store a local
    wall time where an instant belongs, and every value read can be compared with
    ``now()`` and formatted into the reader's zone.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return _require_aware(value).astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        return value.replace(tzinfo=UTC)

    def process_literal_param(self, value, dialect):
        return self.process_bind_param(value, dialect)


class local_day(FunctionElement):
    """SQL: the calendar day in ``TIMEZONE`` of an instant column (``Date``).

    PostgreSQL converts with the zone's rules (``AT TIME ZONE``); SQLite, which has no
    zone database, adds the zone's current offset (exact for zones without daylight
    saving, such as Asia/Shanghai).
    """

    type = Date()
    inherit_cache = True
    # The zone and its offset are part of the SQL text, so of the statement's cache key:
    # a statement with this column is compiled once per zone, not on every execution.
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("zone_name", InternalTraversal.dp_string),
        ("offset_minutes", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, instant):
        super().__init__(instant)
        self.zone_name = zone().key
        offset = local_now().utcoffset()
        self.offset_minutes = int(offset.total_seconds() // 60) if offset else 0


@compiles(local_day)
def _local_day_default(element, compiler, **kw):
    (column,) = element.clauses
    return f"date({compiler.process(column, **kw)}, '{element.offset_minutes:+d} minutes')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    name = element.zone_name.replace("'", "")
    instant = compiler.process(column, **kw)
    return f"CAST(({instant} AT TIME ZONE 'UTC') AT TIME ZONE '{name}' AS DATE)"
