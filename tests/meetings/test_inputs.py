"""What a series accepts: http(s) links only, and names that stay on one line (a newline
in a series name used to break its calendar file)."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from app.core.errors import ValidationFailed
from app.extensions import db
from app.meetings import service
from app.meetings.models import Meeting, MeetingSeries
from tests.meetings.helpers import make_meeting, make_series

from .conftest import days


def _form(world, **fields) -> dict:
    data = {
        "name": "月度工作推进交流会",
        "kind": "progress",
        "cadence": "monthly",
        "starts_on": "2024-06-28",
        "start_time": "09:30",
        "duration_minutes": "60",
        "chair_id": world.users["leader"],
        "online_link": "",
    }
    data.update(fields)
    return data


def _series_count(look) -> int:
    with look():
        return db.session.scalar(select(func.count(MeetingSeries.id)))


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "meeting.example/room",
        "https://",
    ],
)
def test_a_link_that_is_not_http_is_refused_on_the_form(login, world, look, link):
    before = _series_count(look)
    response = login("leader").post("/meetings/series/new", data=_form(world, online_link=link))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "只接受 http:// 或 https:// 链接。" in page
    assert 'value="月度工作推进交流会"' in page  # the input is kept
    assert _series_count(look) == before


def test_http_and_https_links_are_kept(login, world, look):
    client = login("leader")
    for link in ("https://meeting.example.cn/j/123?pwd=ab", "http://10.1.2.3:8080/room"):
        response = client.post("/meetings/series/new", data=_form(world, online_link=link))
        assert response.status_code == 302, response.get_data(as_text=True)
    with look():
        links = set(
            db.session.scalars(
                select(MeetingSeries.online_link).where(MeetingSeries.online_link != "")
            )
        )
        meeting_links = set(
            db.session.scalars(select(Meeting.online_link).where(Meeting.online_link != ""))
        )
    assert links == {"https://meeting.example.cn/j/123?pwd=ab", "http://10.1.2.3:8080/room"}
    assert meeting_links == links


def test_the_service_refuses_a_script_link_whoever_calls_it(scoped, world, person):
    data = service.SeriesInput(
        name="按周面谈",
        kind="one_on_one",
        cadence="weekly",
        starts_on=date(2024, 6, 3),
        chair_id=world.users["leader"],
        online_link="javascript:alert(1)",
    )
    with pytest.raises(ValidationFailed) as refused:
        service.create_series(person("leader"), world.task_force_id, data)
    assert refused.value.field == "online_link"
    data.online_link = "https://meeting.example.cn/weekly"
    series = service.create_series(person("leader"), world.task_force_id, data)
    data.online_link = "javascript:alert(2)"
    with pytest.raises(ValidationFailed):
        service.update_series(person("leader"), series, data, series.version)


def test_a_stored_script_link_is_not_shown_as_a_link(app, login, world):
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        series = make_series(world)
        meeting = make_meeting(series, days(2), online_link="javascript:alert(1)").id
    page = login("leader").get(f"/meetings/{meeting}").get_data(as_text=True)
    assert "javascript:" not in page


def test_a_newline_in_a_series_name_is_made_one_line_and_the_calendar_works(login, world, look):
    client = login("leader")
    response = client.post(
        "/meetings/series/new", data=_form(world, name="月度\r\n推进会\tBEGIN:VEVENT\x00")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with look():
        series = db.session.scalars(
            select(MeetingSeries).where(MeetingSeries.name.like("月度%推进会%"))
        ).one()
        assert series.name == "月度 推进会 BEGIN:VEVENT"
        titles = set(
            db.session.scalars(select(Meeting.title).where(Meeting.series_id == series.id))
        )
    assert titles == {"月度 推进会 BEGIN:VEVENT"}
    ics = client.get(f"/meetings/series/{series.id}/calendar.ics")
    assert ics.status_code == 200
    events = Calendar.from_ical(ics.data).walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {"月度 推进会 BEGIN:VEVENT"}


def test_a_name_stored_with_a_newline_before_the_fix_still_gives_a_calendar(
    app, login, world, look
):
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        series = make_series(world)
        make_meeting(series, days(2))
        # Written past the models, as an older version of the app did.
        db.session.execute(
            update(MeetingSeries).where(MeetingSeries.id == series.id).values(name="旧\n名称")
        )
        db.session.execute(
            update(Meeting).where(Meeting.series_id == series.id).values(title="旧\n名称")
        )
        db.session.commit()
        series_id = series.id
    response = login("leader").get(f"/meetings/series/{series_id}/calendar.ics")
    assert response.status_code == 200
    assert "旧 名称" in response.get_data(as_text=True)
