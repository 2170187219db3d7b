"""The calendar page, the personal iCalendar feed (parsed back) and the series download."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.core.scope import unscoped
from app.extensions import db
from app.meetings.models import CalendarToken
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_meeting, make_series


@pytest.fixture
def meetings(app, world):
    """A series the member attends, one of its meetings cancelled, one moved."""
    with app.app_context(), unscoped():
        series = make_series(world, attendee_ids=[world.users["member"]])
        planned = make_meeting(
            series, days(2), invited=[world.users["leader"], world.users["member"]]
        )
        cancelled = make_meeting(
            series, days(9), status="cancelled", invited=[world.users["member"]], ical_sequence=1
        )
        private = make_meeting(
            make_series(world, "one_on_one"), days(3), invited=[world.users["leader"]]
        )
        return {
            "series": series.id,
            "planned": planned.id,
            "cancelled": cancelled.id,
            "private": private.id,
        }


def _feed_url(client) -> str:
    page = client.post("/calendar/feed", data={"action": "create"}).get_data(as_text=True)
    match = re.search(r'value="(http://[^"]+\.ics)"', page)
    assert match, "no feed link shown"
    return match.group(1).replace("http://localhost", "")


def test_the_personal_feed_parses_back(app, login, world, meetings, look):
    member = login("member")
    url = _feed_url(member)
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    zones = [c for c in cal.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == ["Asia/Shanghai"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    # Meetings the member attends, their item's deadline and milestone, the escalation they
    # raised (other features add their dates through the same hook); not others' meetings.
    assert set(events) == {
        f"meeting-{world.ids['meeting']}@gongjian",  # the world's meeting invites the member
        f"meeting-{meetings['planned']}@gongjian",
        f"meeting-{meetings['cancelled']}@gongjian",
        f"deadline-{world.issue_id}@gongjian",
        f"milestone-{world.milestone_id}@gongjian",
        f"escalation-{world.ids['escalation']}@gongjian",
    }
    planned = events[f"meeting-{meetings['planned']}@gongjian"]
    start = planned.decoded("DTSTART")
    assert start.replace(tzinfo=None) == datetime.combine(days(2), time(9, 30))
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert planned["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(planned["STATUS"]) == "CONFIRMED"
    cancelled = events[f"meeting-{meetings['cancelled']}@gongjian"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    deadline = events[f"deadline-{world.issue_id}@gongjian"]
    assert deadline.decoded("DTSTART") == days(30)
    # Moving the meeting raises its SEQUENCE, same UID.
    leader = login("leader")
    leader.post(
        f"/meetings/{meetings['planned']}/move",
        data={"day": days(4).isoformat(), "start_time": "15:00", "place": "二楼"},
    )
    again = Calendar.from_ical(anonymous.get(url).data)
    moved = {str(e["UID"]): e for e in again.walk("VEVENT")}[
        f"meeting-{meetings['planned']}@gongjian"
    ]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").replace(tzinfo=None) == datetime.combine(days(4), time(15))
    # Only a hash of the token is stored.
    with look():
        stored = db.session.scalars(select(CalendarToken)).one()
        assert stored.token_hash not in url and url.rsplit("/", 1)[1][:-4] not in stored.token_hash


def test_a_revoked_or_unknown_token_gets_404_revealing_nothing(app, login, world, meetings):
    member = login("member")
    url = _feed_url(member)
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 200
    member.post("/calendar/feed", data={"action": "revoke"})
    revoked = anonymous.get(url)
    unknown = anonymous.get("/calendar/feed/made-up-token.ics")
    assert revoked.status_code == unknown.status_code == 404
    # The same page either way (but for the signed CSRF token, which carries a time).
    token = re.compile(r'"X-CSRFToken": "[^"]*"')
    assert token.sub("", revoked.get_data(as_text=True)) == token.sub(
        "", unknown.get_data(as_text=True)
    )
    assert "月度" not in revoked.get_data(as_text=True)
    # A new link replaces the old one.
    newer = _feed_url(member)
    assert newer != url
    assert anonymous.get(newer).status_code == 200


def test_a_series_downloads_as_ics(login, world, meetings):
    response = login("viewer").get(f"/meetings/series/{meetings['series']}/calendar.ics")
    assert response.status_code == 200
    cal = Calendar.from_ical(response.data)
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    assert uids == sorted(
        [f"meeting-{meetings['planned']}@gongjian", f"meeting-{meetings['cancelled']}@gongjian"]
    )


def test_the_calendar_page_shows_meetings_deadlines_and_milestones(login, world, meetings):
    leader = login("leader")
    page = leader.get(f"/calendar?day={TODAY.isoformat()}").get_data(as_text=True)
    assert page.count("calendar-meeting") >= 3  # two meetings and the legend
    assert "calendar-milestone" in page and "calendar-cancelled" in page
    week = leader.get(f"/calendar?view=week&day={days(2).isoformat()}").get_data(as_text=True)
    assert "09:30" in week
    # The deadline (in 30 days) shows in the next month or this one.
    later = leader.get(f"/calendar?day={days(30).isoformat()}").get_data(as_text=True)
    assert "现金管理类产品归集与支付" in later


def test_other_features_appear_through_the_hook(login, world):
    from app.core import hooks

    def provider(user, task_force_id, start, end):
        return [
            hooks.CalendarEvent(
                uid="rollout-1@gongjian", kind="rollout", title="复制推广：吉林分行", start=days(1)
            )
        ]

    hooks.CALENDAR.provide(provider)
    try:
        page = login("member").get(f"/calendar?day={TODAY.isoformat()}").get_data(as_text=True)
    finally:
        hooks.CALENDAR.providers.remove(provider)
    assert "复制推广：吉林分行" in page


def test_the_personal_feed_s_links_open_in_their_task_force(app, login, world, meetings):
    """The feed spans the reader's task forces: each event's link names its own."""
    url = _feed_url(login("member"))
    cal = Calendar.from_ical(app.test_client().get(url).data)
    links = [str(event["URL"]) for event in cal.walk("VEVENT") if "URL" in event]
    assert links
    assert all(link.split("#")[0].endswith(f"?tf={world.task_force_id}") for link in links)
