"""Deadline extensions counted (issue 17): asked and granted on the scorecards per person
and per org unit, items delayed more than once on the battle map, the problem list's
filter and the review pack's section."""

from __future__ import annotations

from sqlalchemy import select

from app.core import clock
from app.core.quarters import Quarter
from app.core.scope import task_force_scope
from app.dashboard import service as dashboard
from app.decisions import scorecards
from app.decisions.extension_review import extensions_section
from app.decisions.service import extensions as service
from app.extensions import db
from app.issues.models import Issue
from tests import factories

from .conftest import TODAY, days


def _issue(world) -> Issue:
    return db.session.get(Issue, world.issue_id)


def _extend(person, world, new, approve=True, decider="exec_leader"):
    extension = service.request_extension(person("member"), _issue(world), new, "排期延后")
    service.decide_extension(person(decider), extension, approve, "" if approve else "不同意")
    return extension


def _line(lines, key):
    return next(line for line in lines if line.key == key)


def test_the_scorecards_count_extensions_asked_and_granted(scoped, world, person):
    _issue(world).org_unit_id = world.org_unit_id
    early = _extend(person, world, days(35))
    early.requested_at = clock.start_of_day(days(-40))  # asked before the period
    _extend(person, world, days(44))
    _extend(person, world, days(60), approve=False)
    service.request_extension(person("member"), _issue(world), days(61), "还要再等")  # pending
    period = scorecards.Period(days(-30), TODAY)
    member = world.users["member"]
    line = _line(scorecards.scorecard_lines(world.task_force_id, period), member)
    assert (line.extensions_asked, line.extensions_granted) == (3, 1)
    by_unit = scorecards.scorecard_lines(world.task_force_id, period, scorecards.BY_UNIT)
    unit = _line(by_unit, world.org_unit_id)
    assert (unit.extensions_asked, unit.extensions_granted) == (3, 1)
    everything = scorecards.Period(days(-60), TODAY)
    line = _line(scorecards.scorecard_lines(world.task_force_id, everything), member)
    assert (line.extensions_asked, line.extensions_granted) == (4, 2)
    leader = _line(
        scorecards.scorecard_lines(world.task_force_id, everything), world.users["leader"]
    )
    assert (leader.extensions_asked, leader.extensions_granted) == (0, 0)


def test_the_scorecard_page_shows_the_column(app, world, login, look, person):
    with look(), task_force_scope(world.task_force_id):
        _extend(person, world, days(44))
        db.session.commit()
    page = login("leader").get("/scorecards").get_data(as_text=True)
    assert "延期申请／批准" in page
    row = page.split(f'data-testid="score-{world.users["member"]}"')[1].split("</tr>")[0]
    assert 'data-testid="extensions">1 / 1<' in row


def test_the_battle_map_counts_items_delayed_more_than_once(app, world, login, look, person):
    def delayed_twice() -> int:
        with look(), task_force_scope(world.task_force_id):
            leader = person("leader")
            return dashboard.battle_map(leader, world.task_force_id).totals.delayed_twice

    assert delayed_twice() == 0
    with look(), task_force_scope(world.task_force_id):
        _extend(person, world, days(44))
        _extend(person, world, days(50), approve=False)  # a declined one does not count
        db.session.commit()
    assert delayed_twice() == 0
    client = login("leader")
    assert 'data-testid="delayed-twice"' not in client.get("/").get_data(as_text=True)
    listed = client.get("/issues?delayed=1").get_data(as_text=True)
    assert "现金管理类产品归集与支付" in listed
    assert "现金管理类产品归集与支付" not in client.get("/issues?delayed=2").get_data(as_text=True)
    with look(), task_force_scope(world.task_force_id):
        _extend(person, world, days(58), decider="leader")
        category = db.session.get(factories.Category, world.category_id)
        factories.make_issue(category, "没有延期的问题", owner_id=world.users["member"])
        db.session.commit()
    assert delayed_twice() == 1
    page = client.get("/").get_data(as_text=True)
    tile = page.split('data-testid="delayed-twice"')[0].rsplit("<a", 1)[1]
    assert "delayed=2" in tile
    assert "多次延期：1项" in page
    listed = client.get("/issues?delayed=2").get_data(as_text=True)
    assert "现金管理类产品归集与支付" in listed and "没有延期的问题" not in listed


def test_the_review_pack_section_of_the_quarter(scoped, world, person):
    quarter = Quarter.of(TODAY)
    empty = extensions_section(world.task_force_id, quarter)
    assert (empty["asked"], empty["delayed_total"]) == (0, 0)
    _extend(person, world, days(44))
    _extend(person, world, days(50), approve=False)
    _extend(person, world, days(58))
    service.request_extension(person("member"), _issue(world), days(70), "再等等")
    db.session.flush()
    section = extensions_section(world.task_force_id, quarter)
    assert (section["asked"], section["approved"], section["declined"], section["pending"]) == (
        4,
        2,
        1,
        1,
    )
    [row] = section["delayed"]
    assert (row.issue.id, row.times, row.original, row.extended_to) == (
        world.issue_id,
        2,
        days(30),
        days(58),
    )
    assert section["figures"][1][1] == 1  # on the pack's summary page
    # The quarter before counts nothing of this one.
    before = extensions_section(world.task_force_id, Quarter.of(days(-70)))
    assert (before["asked"], before["delayed_total"]) == (0, 0)


def test_the_history_lists_every_request(scoped, world, person):
    _extend(person, world, days(44))
    _extend(person, world, days(50), approve=False)
    history = service.history_of_issue(_issue(world))
    assert [r.status for r in history.requests] == ["declined", "approved"]
    assert (history.original_deadline, history.times_extended, history.extended_to) == (
        days(30),
        1,
        days(44),
    )
    assert db.session.scalars(select(Issue.deadline).where(Issue.id == world.issue_id)).one() == (
        days(44)
    )
