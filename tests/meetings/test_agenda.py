"""The agenda each kind of meeting proposes from the data, at chosen dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from flask_babel import gettext as _

from app.core import clock, hooks
from app.extensions import db
from app.issues.models import Category, Issue
from app.meetings import service
from tests.factories import make_issue
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_action, make_meeting, make_series

FRESH = datetime(2024, 6, 1, 2, tzinfo=UTC)  # a recent update: no item is stale
CLOSED_AT = datetime(2024, 5, 20, 8, tzinfo=UTC)


def _titles(proposals, section):
    """The titles under a heading (given in English, compared as the app translates it)."""
    return [p.title for p in proposals if p.section == _(section)]


@pytest.fixture
def items(scoped, world):
    """Items of every light, created a month ago (so none is new since the last meeting)."""
    category = db.session.get(Category, world.category_id)
    member = world.users["member"]
    exec_leader = world.users["exec_leader"]

    def mk(title, **fields):
        fields.setdefault("last_progress_at", FRESH)
        return make_issue(category, title, **fields)

    with clock.frozen_at(datetime(2024, 5, 1, 2, tzinfo=UTC)):
        made = {
            "red": mk("超期问题", owner_id=member, deadline=days(-2), status="in_progress"),
            "yellow": mk("临期问题", owner_id=member, deadline=days(3), status="planning"),
            "green": mk("正常问题", owner_id=exec_leader, deadline=days(60), status="in_progress"),
            "unacked": mk("未签收问题", owner_id=member, acknowledged_at=None, deadline=days(40)),
            "closed": mk("已销号问题", owner_id=member, status="closed", closed_at=CLOSED_AT),
        }
        db.session.get(Issue, world.issue_id).last_progress_at = FRESH
        db.session.commit()
    return made


def test_progress_meeting(scoped, world, items):
    series = make_series(world)
    last = make_meeting(series, date(2024, 5, 24), status="published")
    make_action(last, "梳理客户分层名单", owner_id=world.users["member"])
    make_action(last, "已办结的事", owner_id=world.users["member"], done_on=date(2024, 5, 30))
    meeting = make_meeting(series, days(25))
    # Changed since the last meeting: the green item got an update on 28 May.
    with clock.frozen_at(datetime(2024, 5, 28, 3, tzinfo=UTC)):
        items["green"].percent = 40
        db.session.commit()
    proposals = service.build_agenda(meeting)
    assert any("超期问题" in t for t in _titles(proposals, "Red items"))
    assert any("临期问题" in t for t in _titles(proposals, "Yellow items"))
    assert not any(
        "正常问题" in t
        for t in _titles(proposals, "Red items") + _titles(proposals, "Yellow items")
    )
    assert any("正常问题" in t for t in _titles(proposals, "Changed since the last meeting"))
    assert [t.split(" ", 1)[1] for t in _titles(proposals, "Changed since the last meeting")] == [
        "正常问题"
    ]
    assert _titles(proposals, "Open action items from last time") == ["梳理客户分层名单"]
    assert not any("已销号问题" in p.title for p in proposals)


def test_the_first_progress_meeting_has_no_changes_or_actions_from_last_time(scoped, world, items):
    meeting = make_meeting(make_series(world), days(25))
    sections = {p.section for p in service.build_agenda(meeting)}
    assert _("Changed since the last meeting") not in sections
    assert _("Open action items from last time") not in sections


def test_proposals_of_other_features_come_under_their_headings(scoped, world, items):
    calls = []

    def provider(task_force_id, kind, since, until):
        calls.append((task_force_id, kind, since, until))
        return [hooks.AgendaProposal(section="待决策提级事项", title="网点转型授权", url="/x/1")]

    hooks.AGENDA.provide(provider)
    try:
        series = make_series(world)
        make_meeting(series, date(2024, 5, 24), status="held")
        meeting = make_meeting(series, days(25))
        proposals = service.build_agenda(meeting)
    finally:
        hooks.AGENDA.providers.remove(provider)
    assert calls == [(world.task_force_id, "progress", date(2024, 5, 24), days(25))]
    assert _titles(proposals, "待决策提级事项") == ["网点转型授权"]
    assert [s for s, _rows in service.grouped(proposals)][-1] == "待决策提级事项"


def test_changed_since_the_last_meeting_counts_in_local_days(scoped, world, items):
    """The last meeting was on 24 May: a change at 00:30 that day in Shanghai (16:30 UTC
    on 23 May) is since then; one at 23:30 the evening before is not."""
    series = make_series(world)
    make_meeting(series, date(2024, 5, 24), status="published")
    meeting = make_meeting(series, days(25))
    with clock.frozen_at(clock.at(date(2024, 5, 24), time(0, 30))):
        items["green"].percent = 40
        db.session.commit()
    with clock.frozen_at(clock.at(date(2024, 5, 23), time(23, 30))):
        items["unacked"].percent = 10
        db.session.commit()
    changed = _titles(service.build_agenda(meeting), "Changed since the last meeting")
    assert [t.split(" ", 1)[1] for t in changed] == ["正常问题"]


def test_one_on_one_with_a_person(scoped, world, items):
    series = make_series(world, "one_on_one", counterparts=[{"user": world.users["member"]}])
    meeting = make_meeting(series, TODAY, counterpart_user_id=world.users["member"])
    proposals = service.build_agenda(meeting)
    assert any("超期问题" in t for t in _titles(proposals, "Overdue"))
    assert any("未签收问题" in t for t in _titles(proposals, "Not acknowledged"))
    open_titles = _titles(proposals, "Open items")
    assert any("临期问题" in t for t in open_titles)
    assert any("现金管理类产品归集与支付" in t for t in open_titles)
    # Not the counterpart's, or not open: not on the agenda.
    assert not any("正常问题" in p.title or "已销号问题" in p.title for p in proposals)
    assert [p.section for p in proposals][0] == _("Overdue")


def test_one_on_one_with_a_department(scoped, world, items):
    items["green"].org_unit_id = world.org_unit_id
    db.session.commit()
    series = make_series(world, "one_on_one")
    meeting = make_meeting(series, TODAY, counterpart_unit_id=world.org_unit_id)
    assert [p.title.split(" ", 1)[1] for p in service.build_agenda(meeting)] == ["正常问题"]


def test_quarterly_review_counts_the_quarter_before(scoped, world, items):
    series = make_series(world, "review")
    meeting = make_meeting(series, date(2024, 7, 5))
    proposals = service.build_agenda(meeting)
    figures = dict(
        p.title.split(": ") for p in proposals if p.section == _("The quarter in figures")
    )
    # Six items were created in April–June (the world's and five here), one closed.
    assert figures == {
        _("Items raised"): "6",
        _("Items closed"): "1",
        _("Closed on time"): "1",
        _("Open at the quarter's end"): "5",
        # The quarter is still under way (today is 3 June): as on the battle map, what is
        # overdue today, the item due on 1 June; the one due on 6 June is not yet.
        _("Overdue at the quarter's end"): "1",
    }
    assert {p.detail for p in proposals} == {"2024-04-01 – 2024-06-30"}
