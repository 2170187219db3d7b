"""The one clock: settable in tests, "today" in the configured zone, instants always aware."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select, text

from app.core import clock
from app.core.models import AuditEvent
from app.extensions import db


def test_today_is_the_calendar_day_in_shanghai(ctx):
    # 17:00 UTC on 28 November is already 29 November in Shanghai.
    clock.set_now(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 11, 29)
    assert clock.now() == datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    assert clock.now().tzinfo is not None


def test_the_zone_comes_from_the_setting(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "TIMEZONE", "UTC")
    clock.set_now(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 11, 28)


def test_frozen_at_restores_the_previous_time(ctx):
    clock.set_today(date(2026, 1, 1))
    with clock.frozen_at(datetime(2030, 6, 1, 12, 0, tzinfo=UTC)):
        assert clock.today() == date(2030, 6, 1)
    assert clock.today() == date(2026, 1, 1)


def test_a_naive_datetime_is_refused_where_an_instant_belongs(ctx):
    with pytest.raises(clock.NaiveDatetime):
        clock.set_now(datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001 (the mistake under test)
    with pytest.raises(clock.NaiveDatetime):
        clock.local(datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001


def test_wall_clock_times_and_instants_convert_in_the_zone(ctx):
    three_pm = clock.at(date(2026, 12, 7), time(15, 0))
    assert three_pm == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert clock.local(three_pm).strftime("%H:%M") == "15:00"
    assert clock.start_of_day(date(2026, 10, 1)) == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert clock.end_of_day(date(2026, 9, 30)) == clock.start_of_day(date(2026, 10, 1))
    assert clock.local_date(datetime(2026, 9, 30, 16, 30, tzinfo=UTC)) == date(2026, 10, 1)


def test_timestamp_columns_store_utc_and_read_back_aware(ctx):
    at = datetime(2026, 9, 30, 23, 30, tzinfo=clock.zone())
    db.session.add(AuditEvent(action="test", entity_type="thing", at=at))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(select(AuditEvent.at))
    assert stored == at
    assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0
    raw = db.session.scalar(text("SELECT at FROM audit_event"))
    assert str(raw).startswith("2026-09-30 15:30")  # UTC in the table


def test_writing_a_naive_datetime_into_a_timestamp_column_fails(ctx):
    db.session.add(
        AuditEvent(action="test", entity_type="thing", at=datetime(2026, 1, 1))  # noqa: DTZ001
    )
    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_local_day_in_sql_is_the_zones_day(ctx):
    # 23:30 on 30 September in Shanghai is 15:30 UTC: the SQL day is still 30 September,
    # and 00:30 on 1 October (16:30 UTC the day before) is 1 October.
    for wall, wanted in (
        (datetime(2026, 9, 30, 23, 30), date(2026, 9, 30)),  # noqa: DTZ001
        (datetime(2026, 10, 1, 0, 30), date(2026, 10, 1)),  # noqa: DTZ001
    ):
        db.session.query(AuditEvent).delete()
        db.session.add(
            AuditEvent(action="test", entity_type="thing", at=wall.replace(tzinfo=clock.zone()))
        )
        db.session.flush()
        day = db.session.scalar(select(clock.local_day(AuditEvent.at)))
        if isinstance(day, str):  # SQLite's date() is text
            day = date.fromisoformat(day)
        assert day == wanted
    db.session.rollback()


def test_local_day_is_compiled_once_per_zone(ctx, monkeypatch):
    # The zone is written into the SQL, so it is part of the cache key: a statement is
    # compiled once (not on every execution), and a change of zone compiles anew.
    def key():
        return select(clock.local_day(AuditEvent.at))._generate_cache_key()

    assert key() is not None
    assert key() == key()
    shanghai = key()
    monkeypatch.setitem(ctx.config, "TIMEZONE", "UTC")
    assert key() != shanghai
