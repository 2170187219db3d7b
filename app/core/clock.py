"""The one source of "now" and "today".

Nothing else in the app calls ``datetime.now()`` or ``date.today()``: traffic lights,
memberships, reminders and reports ask this module, and tests set it.
Stored timestamps are naive UTC; "today" is the calendar day in the configured zone.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

_DEFAULT_ZONE = "Asia/Shanghai"
_frozen: datetime | None = None


def zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", _DEFAULT_ZONE) if has_app_context() else _DEFAULT_ZONE
    return ZoneInfo(name)


def now() -> datetime:
    """The current instant as an aware UTC datetime."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def utcnow() -> datetime:
    """The current instant as naive UTC, the form timestamps are stored in."""
    return now().replace(tzinfo=None)


def local_now() -> datetime:
    return now().astimezone(zone())


def today() -> date:
    """Today's date in the configured time zone."""
    return local_now().date()


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at ``instant`` (naive means UTC); ``None`` lets it run again."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    _frozen = instant.astimezone(UTC) if instant is not None else None


def set_today(day: date, hour: int = 10) -> None:
    """Freeze the clock at ``hour`` o'clock local time on ``day``."""
    set_now(datetime(day.year, day.month, day.day, hour, tzinfo=zone()))


@contextmanager
def frozen_at(instant: datetime):
    previous = _frozen
    set_now(instant)
    try:
        yield
    finally:
        set_now(previous)
