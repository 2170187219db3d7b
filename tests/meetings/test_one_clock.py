"""One wall clock: a meeting at 15:00 in Shanghai reads 15:00 wherever a person meets it.

The meeting is stored as an instant (07:00 UTC); every page, PDF, calendar file and
message converts it to ``TIMEZONE``. Until the clock was made one, the meetings pages and
the minutes PDF printed 23:00 while the calendar said 15:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.core import clock
from app.core.models import Notification
from app.core.scope import unscoped
from app.extensions import db
from app.meetings.models import Meeting
from tests.jobs import run_rule
from tests.meetings.conftest import days
from tests.meetings.helpers import make_meeting, make_series
from tests.pdfcheck import needs_poppler, pdf_text

THREE_PM = time(15, 0)


@pytest.fixture
def at_three(app, world):
    """A weekly one-on-one tomorrow at 15:00, its series starting at 15:00."""
    with app.app_context(), unscoped():
        series = make_series(
            world,
            "one_on_one",
            start_time="15:00",
            attendee_ids=[world.users["member"]],
            counterparts=[{"user": world.users["member"]}],
        )
        meeting = make_meeting(
            series,
            days(1),
            invited=[world.users["leader"], world.users["member"]],
            counterpart_user_id=world.users["member"],
            starts_at=clock.at(days(1), THREE_PM),
        )
        return {"series": series.id, "meeting": meeting.id}


def _reads_three(text: str) -> None:
    assert "15:00" in text or "3:00" in text, text[:2000]
    assert "23:00" not in text and "11:00 PM" not in text
    assert "07:00" not in text and "7:00 AM" not in text


def test_the_meeting_is_stored_as_an_instant(app, at_three):
    with app.app_context(), unscoped():
        meeting = db.session.get(Meeting, at_three["meeting"])
        assert meeting.starts_at == datetime(2024, 6, 4, 7, 0, tzinfo=UTC)
        assert clock.local(meeting.starts_at).strftime("%H:%M") == "15:00"


@pytest.mark.parametrize(
    "page",
    [
        "/meetings",
        "/meetings/series/{series}",
        "/meetings/{meeting}",
        "/calendar?view=week&day=2024-06-04",
        "/calendar",
    ],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_shows_fifteen_hundred(login, at_three, page, language):
    client = login("leader")
    response = client.get(page.format(**at_three), headers={"Accept-Language": language})
    assert response.status_code == 200
    _reads_three(response.get_data(as_text=True))


@needs_poppler
def test_the_minutes_pdf_prints_fifteen_hundred(login, at_three):
    response = login("leader").get(f"/meetings/{at_three['meeting']}/minutes.pdf")
    assert response.status_code == 200
    _reads_three(pdf_text(response.data))


def _ics_start(data: bytes) -> datetime:
    events = [c for c in Calendar.from_ical(data).walk("VEVENT")]
    assert events
    return events[0].decoded("dtstart")


def test_the_series_ics_says_fifteen_hundred_in_shanghai(login, at_three):
    response = login("leader").get(f"/meetings/series/{at_three['series']}/calendar.ics")
    start = _ics_start(response.data)
    assert start == datetime(2024, 6, 4, 7, 0, tzinfo=UTC)
    assert start.strftime("%H:%M") == "15:00"
    assert b"TZID=Asia/Shanghai:20240604T150000" in response.data


def test_the_personal_feed_says_fifteen_hundred(login, at_three):
    client = login("member")
    page = client.post("/calendar/feed", data={"action": "create"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    link = text[text.index("/calendar/feed/") :].split('"')[0].split("<")[0]
    feed = client.get(link)
    assert feed.status_code == 200
    assert b"TZID=Asia/Shanghai:20240604T150000" in feed.data


def test_the_reminder_says_fifteen_hundred(app, at_three, world):
    with app.app_context(), unscoped():
        run_rule("meeting_tomorrow")
        sent = db.session.scalars(
            select(Notification.text).where(
                Notification.kind == "meeting_tomorrow",
                Notification.subject_id == at_three["meeting"],
            )
        ).all()
        assert sent
        for text in sent:
            _reads_three(text)
