"""Calendar months ("2026-11") and working days (weekends, holidays, 调休)."""

from __future__ import annotations

from datetime import date

import pytest

from app.core import workdays
from app.core.quarters import Month


def test_a_month_parses_prints_and_knows_its_days():
    month = Month.parse("2026-11")
    assert str(month) == "2026-11" and month == Month(2026, 11)
    assert (month.first_day, month.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert Month.parse("2024-02").last_day == date(2024, 2, 29)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month.of(date(2026, 3, 31)) == Month(2026, 3)
    assert Month(2026, 9) < Month(2026, 10) < Month(2027, 1)
    assert Month(2026, 3).contains(date(2026, 3, 31)) and not Month(2026, 3).contains(
        date(2026, 4, 1)
    )


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "", "2026Q3"])
def test_a_malformed_month_is_refused(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_working_days_skip_weekends_holidays_and_count_makeup_days(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAYS", "2026-10-01..2026-10-08, 2027-01-01")
    monkeypatch.setitem(app.config, "MAKEUP_WORKDAYS", "2026-09-27,2026-10-10")
    with app.app_context():
        assert workdays.first_working_day(2026, 10) == date(2026, 10, 9)
        assert workdays.first_working_day(2027, 1) == date(2027, 1, 4)  # Fri off, then a weekend
        assert workdays.first_working_day(2026, 11) == date(2026, 11, 2)  # 1 Nov is a Sunday
        assert workdays.is_working_day(date(2026, 9, 27))  # a Sunday worked (调休)
        assert not workdays.is_working_day(date(2026, 10, 5))
        assert workdays.is_working_day(date(2026, 10, 10))
        assert not workdays.is_working_day(date(2026, 10, 11))


def test_without_settings_the_first_working_day_is_the_first_weekday(app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLIDAYS", "")
    monkeypatch.setitem(app.config, "MAKEUP_WORKDAYS", "")
    with app.app_context():
        assert workdays.first_working_day(
            2026,
            8,
        ) == date(2026, 8, 3)
        assert workdays.first_working_day(2026, 9) == date(2026, 9, 1)


@pytest.mark.parametrize("text", ["2026-10-08..2026-10-01", "2026-10-32", "tomorrow"])
def test_a_malformed_holiday_setting_is_refused(text):
    with pytest.raises(ValueError):
        workdays.parse_days(text)
