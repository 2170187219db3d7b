"""The one clock: settable in tests, "today" in the configured zone."""

from datetime import UTC, date, datetime

from app.core import clock


def test_today_is_the_calendar_day_in_shanghai(ctx):
    # 17:00 UTC on 28 November is already 29 November in Shanghai.
    clock.set_now(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 11, 29)
    assert clock.utcnow() == datetime(2026, 11, 28, 17, 0)


def test_the_zone_comes_from_the_setting(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "TIMEZONE", "UTC")
    clock.set_now(datetime(2026, 11, 28, 17, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 11, 28)


def test_frozen_at_restores_the_previous_time(ctx):
    clock.set_today(date(2026, 1, 1))
    with clock.frozen_at(datetime(2030, 6, 1, 12, 0)):
        assert clock.today() == date(2030, 6, 1)
    assert clock.today() == date(2026, 1, 1)
