"""Occurrences from the cadence: month ends, quarters, custom rules, a holiday moved by hand."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from app.core.errors import ValidationFailed
from app.extensions import db
from app.meetings import service
from app.meetings.models import Meeting, MeetingSeries
from tests.meetings.conftest import TODAY


def _series(**fields) -> MeetingSeries:
    values = dict(
        task_force_id=1, name="x", kind="progress", cadence="monthly", starts_on=TODAY, chair_id=1
    )
    values.update(fields)
    return MeetingSeries(**values)


def test_monthly_on_the_31st_falls_on_each_months_last_day():
    series = _series(starts_on=date(2024, 1, 31))
    got = service.occurrence_days(series, date(2024, 6, 30))
    assert got == [
        date(2024, 1, 31),
        date(2024, 2, 29),  # a leap year
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]


def test_monthly_on_the_30th_keeps_the_30th_where_it_exists():
    series = _series(starts_on=date(2023, 1, 30))
    got = service.occurrence_days(series, date(2023, 4, 1))
    assert got == [date(2023, 1, 30), date(2023, 2, 28), date(2023, 3, 30)]


def test_quarterly_across_the_year_end():
    series = _series(cadence="quarterly", starts_on=date(2023, 11, 30))
    got = service.occurrence_days(series, date(2024, 9, 1))
    assert got == [date(2023, 11, 30), date(2024, 2, 29), date(2024, 5, 30), date(2024, 8, 30)]


def test_weekly_with_occurrences_ahead():
    series = _series(cadence="weekly", starts_on=date(2024, 5, 28))
    got = service.occurrence_days(series, TODAY, ahead=3)
    assert got == [date(2024, 5, 28), date(2024, 6, 4), date(2024, 6, 11), date(2024, 6, 18)]


def test_custom_rule_last_friday():
    series = _series(cadence="custom", rrule="FREQ=MONTHLY;BYDAY=-1FR", starts_on=date(2024, 1, 1))
    got = service.occurrence_days(series, date(2024, 3, 31))
    assert got == [date(2024, 1, 26), date(2024, 2, 23), date(2024, 3, 29)]


@pytest.mark.parametrize("rule", ["", "FREQ=SOMETIMES", "nonsense"])
def test_a_bad_custom_rule_is_refused_at_its_field(rule):
    with pytest.raises(ValidationFailed) as caught:
        service.recurrence("custom", TODAY, rule)
    assert caught.value.field == "rrule"


def test_a_holiday_moved_by_hand_stays_moved_when_planning_again(scoped, world, person):
    leader = person("leader")
    series = service.create_series(
        leader,
        world.task_force_id,
        service.SeriesInput(
            name="月度工作推进交流会",
            kind="progress",
            cadence="monthly",
            starts_on=date(2024, 8, 31),
            chair_id=leader.id,
            attendee_ids=[world.users["member"]],
        ),
    )
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.scheduled_on)
    ).all()
    assert len(meetings) == service.PLAN_AHEAD
    assert [m.scheduled_on for m in meetings[:3]] == [
        date(2024, 8, 31),
        date(2024, 9, 30),
        date(2024, 10, 31),
    ]
    assert meetings[5].scheduled_on == date(2025, 1, 31)
    assert meetings[6].scheduled_on == date(2025, 2, 28)
    # The September meeting runs into the National Day holiday: the leader moves it to
    # 8 October by hand.
    first = meetings[1]
    service.move_meeting(leader, first, datetime(2024, 10, 8, 14, 0), "三楼会议室")
    assert first.ical_sequence == 1
    assert service.plan_ahead(leader, series) == 0
    again = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)).all()
    assert len(again) == service.PLAN_AHEAD
    moved = db.session.get(Meeting, first.id)
    assert moved.starts_at == datetime(2024, 10, 8, 14, 0)
    assert moved.scheduled_on == date(2024, 9, 30)
    assert moved.series_id == series.id
    assert moved.place == "三楼会议室"
    # The others keep the series' time; the series itself is untouched.
    assert meetings[2].starts_at == datetime.combine(date(2024, 10, 31), time(9, 30))
    assert series.starts_on == date(2024, 8, 31)


def test_cancelling_one_occurrence(scoped, world, person):
    leader = person("leader")
    counterparts = [world.users["member"], world.users["temp_member"]]
    data = service.SeriesInput(
        name="周面谈",
        kind="one_on_one",
        cadence="weekly",
        starts_on=TODAY,
        chair_id=leader.id,
        counterpart_user_ids=counterparts,
    )
    series = service.create_series(leader, world.task_force_id, data)
    meetings = service.series_meetings(series)
    assert [m.counterpart_user_id for m in meetings[:3]] == [
        world.users["member"],
        world.users["temp_member"],
        world.users["member"],
    ]
    service.cancel_meeting(leader, meetings[1])
    assert meetings[1].status == "cancelled" and meetings[1].ical_sequence == 1
    assert [m.status for m in service.series_meetings(series)].count("cancelled") == 1
