"""Occurrences from the cadence: month ends, quarters, custom rules, a holiday moved by hand."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.errors import ValidationFailed
from app.core.scope import task_force_scope
from app.extensions import db
from app.meetings import service
from app.meetings.models import Attendance, Meeting, MeetingSeries
from app.people.models import User
from tests.meetings.conftest import TODAY

SHANGHAI = ZoneInfo("Asia/Shanghai")  # meetings are set in the zone's wall-clock time


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
    service.move_meeting(leader, first, datetime(2024, 10, 8, 14, 0, tzinfo=SHANGHAI), "三楼会议室")
    assert first.ical_sequence == 1
    assert service.plan_ahead(leader, series) == 0
    again = db.session.scalars(select(Meeting).where(Meeting.series_id == series.id)).all()
    assert len(again) == service.PLAN_AHEAD
    moved = db.session.get(Meeting, first.id)
    assert moved.starts_at == datetime(2024, 10, 8, 14, 0, tzinfo=SHANGHAI)
    assert moved.scheduled_on == date(2024, 9, 30)
    assert moved.series_id == series.id
    assert moved.place == "三楼会议室"
    # The others keep the series' time; the series itself is untouched.
    assert meetings[2].starts_at == clock.at(date(2024, 10, 31), time(9, 30))
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


def test_editing_a_series_carries_over_to_the_meetings_to_come(login, look, world, commit):
    with look():
        leader = db.session.get(User, world.users["leader"])
        with task_force_scope(world.task_force_id):
            series = service.create_series(
                leader,
                world.task_force_id,
                service.SeriesInput(
                    name="月度工作推进交流会",
                    kind="progress",
                    cadence="monthly",
                    starts_on=date(2024, 5, 31),
                    chair_id=leader.id,
                    attendee_ids=[world.users["member"]],
                ),
            )
            meetings = service.series_meetings(series)
            past, moved = meetings[0], meetings[2]
            service.mark_held(leader, past)
            service.move_meeting(leader, moved, datetime(2024, 8, 1, 16, 0, tzinfo=SHANGHAI))
            commit()
        ids = (series.id, series.version, past.id, moved.id, meetings[1].id)
    client = login("leader")
    response = client.post(
        f"/meetings/series/{ids[0]}/edit",
        data={
            "version": ids[1],
            "name": "月度推进会",
            "kind": "review",  # ignored: the rhythm stays
            "cadence": "weekly",
            "starts_on": "2024-05-31",
            "start_time": "10:00",
            "duration_minutes": "90",
            "chair_id": world.users["exec_leader"],
            "attendee_ids": [world.users["temp_member"]],
            "place": "总行第一会议室",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with look():
        series = db.session.get(MeetingSeries, ids[0])
        assert (series.kind, series.cadence, series.name) == ("progress", "monthly", "月度推进会")
        following = db.session.get(Meeting, ids[4])
        assert following.starts_at == datetime(2024, 6, 30, 10, 0, tzinfo=SHANGHAI)
        assert (following.place, following.chair_id, following.ical_sequence) == (
            "总行第一会议室",
            world.users["exec_leader"],
            1,
        )
        invited = set(
            db.session.scalars(
                select(Attendance.user_id).where(Attendance.meeting_id == following.id)
            )
        )
        assert invited == {world.users["exec_leader"], world.users["temp_member"]}
        assert db.session.get(Meeting, ids[3]).starts_at == datetime(
            2024, 8, 1, 16, 0, tzinfo=SHANGHAI
        )
        assert db.session.get(Meeting, ids[2]).place == ""  # held: left as it was
