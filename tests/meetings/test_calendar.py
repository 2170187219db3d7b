"""The calendar page, the personal iCalendar feed (parsed back) and the series download."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.core import hooks
from app.core.scope import unscoped
from app.extensions import db
from app.meetings.models import CalendarToken, Meeting
from app.people.models import User
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_meeting, make_series

# What follows "@" in the UIDs: the host of the tests' BASE_URL (no INSTALLATION_ID set).
HOST = "127.0.0.1"


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
        f"meeting-{world.ids['meeting']}@{HOST}",  # the world's meeting invites the member
        f"meeting-{meetings['planned']}@{HOST}",
        f"meeting-{meetings['cancelled']}@{HOST}",
        f"deadline-{world.issue_id}@{HOST}",
        f"milestone-{world.milestone_id}@{HOST}",
        f"escalation-{world.ids['escalation']}@{HOST}",
    }
    planned = events[f"meeting-{meetings['planned']}@{HOST}"]
    start = planned.decoded("DTSTART")
    assert start.replace(tzinfo=None) == datetime.combine(days(2), time(9, 30))
    assert str(start.tzinfo) == "Asia/Shanghai"
    assert planned["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(planned["STATUS"]) == "CONFIRMED"
    cancelled = events[f"meeting-{meetings['cancelled']}@{HOST}"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    deadline = events[f"deadline-{world.issue_id}@{HOST}"]
    assert deadline.decoded("DTSTART") == days(30)
    # Moving the meeting raises its SEQUENCE, same UID.
    leader = login("leader")
    leader.post(
        f"/meetings/{meetings['planned']}/move",
        data={"day": days(4).isoformat(), "start_time": "15:00", "place": "二楼"},
    )
    again = Calendar.from_ical(anonymous.get(url).data)
    moved = {str(e["UID"]): e for e in again.walk("VEVENT")}[
        f"meeting-{meetings['planned']}@{HOST}"
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
        [f"meeting-{meetings['planned']}@{HOST}", f"meeting-{meetings['cancelled']}@{HOST}"]
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


def test_a_busy_day_shows_its_first_four_and_links_its_week(app, login, world):
    from app.issues.models import Category
    from tests.factories import make_issue

    busy = days(5)
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        codes = [f"BUSY-{n}" for n in range(7)]
        for code in codes:
            make_issue(category, f"忙碌的一天 {code}", code=code, deadline=busy)
    leader = login("leader")
    month = leader.get(f"/calendar?day={TODAY.isoformat()}").get_data(as_text=True)
    grid, agenda = month.split('data-testid="calendar-agenda"')
    week_of_busy = f"/calendar?view=week&amp;day={busy.isoformat()}"
    for part in (grid, agenda):  # the laptop's grid and the phone's agenda alike
        assert sum(code in part for code in codes) == 4
        assert part.count('data-testid="calendar-more"') == 1
        more = re.search(r'data-testid="calendar-more" href="([^"]+)">([^<]+)<', part)
        assert more.group(1) == week_of_busy
        assert more.group(2) == "+3 项"
    # The day's week shows every one of them.
    week = leader.get(week_of_busy.replace("&amp;", "&")).get_data(as_text=True)
    assert all(code in week for code in codes)
    assert 'data-testid="calendar-more"' not in week


def test_a_day_of_many_milestones_shows_its_first_four_of_open_items(app, login, world):
    from app.issues.models import Category, Milestone
    from tests.factories import make_issue

    busy = days(6)
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        titles = []
        for n in range(7):
            closed = n == 1  # a closed item's milestone is no event
            item = make_issue(
                category, f"里程碑之日 {n}", status="closed" if closed else "in_progress"
            )
            title = f"节点{n}"
            db.session.add(
                Milestone(
                    task_force_id=world.task_force_id, issue_id=item.id, title=title, due_on=busy
                )
            )
            if not closed:
                titles.append(title)
        db.session.commit()
    month = login("leader").get(f"/calendar?day={TODAY.isoformat()}").get_data(as_text=True)
    grid = month.split('data-testid="calendar-agenda"')[0]
    assert [t for t in titles if t in grid] == titles[:4]  # the first made first
    assert "节点1" not in grid
    assert re.search(r'data-testid="calendar-more" href="[^"]+">\+2 项<', grid)


def test_other_features_appear_through_the_hook(login, world):
    from app.core import hooks

    def provider(user, task_force_id, start, end, per_day=None):
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


def _feed(app, login, persona="member"):
    return Calendar.from_ical(app.test_client().get(_feed_url(login(persona))).data)


def test_a_meeting_says_where_it_is_and_links_its_agenda_from_the_base_url(
    app, login, world, meetings
):
    with app.app_context(), unscoped():
        meeting = db.session.get(Meeting, meetings["planned"])
        meeting.place, meeting.online_link = "总行三楼会议室", "https://meeting.tencent.com/dm/42"
        db.session.commit()
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://gongjian.bank.example.cn/"
    try:
        cal = _feed(app, login)
    finally:
        app.config["BASE_URL"] = saved
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    # No INSTALLATION_ID: the host of the base URL names the installation.
    event = events[f"meeting-{meetings['planned']}@gongjian.bank.example.cn"]
    assert str(event["LOCATION"]) == "总行三楼会议室 · https://meeting.tencent.com/dm/42"
    agenda = (
        f"https://gongjian.bank.example.cn/meetings/{meetings['planned']}"
        f"?tf={world.task_force_id}#agenda"
    )
    assert str(event["DESCRIPTION"]) == f"议程：{agenda}"
    assert str(event["URL"]) == agenda
    assert [str(c) for c in event["CATEGORIES"].cats] == ["会议"]
    # An item's deadline has no place; its description links the item.
    deadline = events[f"deadline-{world.issue_id}@gongjian.bank.example.cn"]
    assert "LOCATION" not in deadline
    assert str(deadline["DESCRIPTION"]).startswith(
        "在攻坚中打开：https://gongjian.bank.example.cn/"
    )


def test_a_one_on_one_names_its_counterpart(app, login, world):
    with app.app_context(), unscoped():
        series = make_series(world, "one_on_one", attendee_ids=[world.users["member"]])
        meeting = make_meeting(
            series,
            days(1),
            invited=[world.users["member"]],
            counterpart_user_id=world.users["member"],
            place="行长办公室",
        )
        meeting_id = meeting.id
        name = db.session.get(User, world.users["member"]).display_name
    events = {str(e["UID"]): e for e in _feed(app, login).walk("VEVENT")}
    event = events[f"meeting-{meeting_id}@{HOST}"]
    lines = str(event["DESCRIPTION"]).split("\n")
    assert lines[0] == f"面谈对象：{name}"
    assert lines[1].startswith("议程：http://127.0.0.1:5000/meetings/")
    assert str(event["LOCATION"]) == "行长办公室"


def test_uids_name_the_installation_and_stay_the_same(app, login, world, meetings):
    url = _feed_url(login("member"))
    app.config["INSTALLATION_ID"] = "gongjian-ccb-jl"
    try:
        first = Calendar.from_ical(app.test_client().get(url).data)
        again = Calendar.from_ical(app.test_client().get(url).data)
    finally:
        app.config["INSTALLATION_ID"] = ""
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in again.walk("VEVENT")]
    assert uids and all(uid.endswith("@gongjian-ccb-jl") for uid in uids)
    assert len(set(uids)) == len(uids)


def test_the_feed_is_named_for_its_owner_and_task_force_in_their_language(
    app, login, world, meetings
):
    with app.app_context():
        name = db.session.get(User, world.users["member"]).display_name
    cal = _feed(app, login)
    assert str(cal["X-WR-CALNAME"]) == f"{name} · 非存AUM攻坚克难小组 · 攻坚日程"
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"])
    # An English-speaking owner reads English categories, descriptions and name.
    with app.app_context():
        db.session.get(User, world.users["member"]).locale = "en"
        db.session.commit()
    english = _feed(app, login)
    assert str(english["X-WR-CALNAME"]) == f"{name} · 非存AUM攻坚克难小组 · Gongjian schedule"
    categories = {str(e["CATEGORIES"].cats[0]) for e in english.walk("VEVENT")}
    assert {"Meeting", "Deadline", "Milestone"} <= categories
    assert not any("\u4e00" <= ch <= "\u9fff" for c in categories for ch in c)
    meeting = next(e for e in english.walk("VEVENT") if str(e["UID"]).startswith("meeting-"))
    assert str(meeting["DESCRIPTION"]).startswith("Agenda: http://")


def test_a_series_file_is_named_with_its_task_force(login, world, meetings):
    response = login("viewer").get(f"/meetings/series/{meetings['series']}/calendar.ics")
    cal = Calendar.from_ical(response.data)
    assert str(cal["X-WR-CALNAME"]) == "月度工作推进交流会 · 非存AUM攻坚克难小组 · 攻坚日程"


def test_the_month_kept_as_items_change_equals_the_month_read_afresh(app, world, monkeypatch):
    """The task force's deadlines and milestones of a month are kept (``tally.kept_rows``):
    after each change they equal what is read afresh, and only the changed item's rows
    are read again."""
    from app.core.freshness import FragmentCache
    from app.issues import tally
    from app.issues.models import Category, Issue, Milestone
    from app.meetings.calendar import issue_events
    from tests.factories import make_issue

    busy, start, end = days(5), days(-3), days(30)
    read: list[list] = []
    keep = tally._KeptRows.read

    def counting(self, rows, *args):
        rows = list(rows)
        read.append(rows)
        keep(self, rows, *args)

    monkeypatch.setattr(tally._KeptRows, "read", counting)

    def month():
        return issue_events(None, world.task_force_id, start, end, per_day=2)

    def afresh():
        with monkeypatch.context() as nothing_kept:
            nothing_kept.setattr(tally, "fragment_cache", lambda: FragmentCache(0))
            return month()

    def check(change=None, rows_read=None):
        if change is not None:
            change()
            db.session.commit()
        read.clear()
        kept = month()
        if rows_read is not None:
            assert [len(rows) for rows in read] == rows_read
        assert kept == afresh()
        return kept

    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        made = [make_issue(category, f"到期 {n}", deadline=busy) for n in range(4)]
        for n, item in enumerate(made):
            db.session.add(
                Milestone(
                    task_force_id=world.task_force_id,
                    issue_id=item.id,
                    title=f"节点{n}",
                    due_on=busy,
                )
            )
        db.session.commit()
        first = check()
        assert sum(isinstance(e, hooks.CalendarMore) for e in first) == 2  # +2 of each kind
        item = lambda n: db.session.get(Issue, made[n].id)  # noqa: E731

        def rename():
            item(0).title = "改名后的问题"

        # Each change reads its item's rows alone: [deadlines, milestones] read.
        shown = check(rename, rows_read=[1, 1])
        assert any(e.title.endswith("改名后的问题") for e in shown)
        check(lambda: setattr(item(1), "deadline", days(40)), rows_read=[0, 1])
        check(lambda: setattr(item(2), "status", "closed"), rows_read=[0, 0])
        check(lambda: db.session.delete(item(3).milestones[0]), rows_read=[1, 0])
        check(lambda: make_issue(category, "新到期", deadline=busy), rows_read=[1, 0])
        check(lambda: setattr(item(0), "deadline", days(6)), rows_read=[1, 1])
