"""Working days: Monday to Friday, less the public holidays (setting ``HOLIDAYS``) and plus
the weekend days worked in their place (调休, setting ``MAKEUP_WORKDAYS``).

Both settings are comma-separated ISO dates or ranges ``2026-10-01..2026-10-08``.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app


def parse_days(text: str) -> frozenset[date]:
    """The days a setting names. :raise ValueError: for a malformed date or range."""
    days: set[date] = set()
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        first, _sep, last = part.partition("..")
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
        if end < start:
            raise ValueError(f"a range that ends before it starts: {part!r}")
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return frozenset(days)


def _setting(name: str) -> frozenset[date]:
    return parse_days(current_app.config.get(name, ""))


def is_working_day(day: date) -> bool:
    if day in _setting("MAKEUP_WORKDAYS"):
        return True
    return day.weekday() < 5 and day not in _setting("HOLIDAYS")


def first_working_day(year: int, month: int) -> date:
    """The month's first working day (a month has one: a holiday does not last a month)."""
    holidays, makeup = _setting("HOLIDAYS"), _setting("MAKEUP_WORKDAYS")
    day = date(year, month, 1)
    while not (day in makeup or (day.weekday() < 5 and day not in holidays)):
        day += timedelta(days=1)
    return day
