"""Scorecards and incentives (考核激励), on a fixture whose answers are worked out by hand.

The period is May 2024; today is Monday 3 June 2024.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from app.core.errors import PermissionDenied, ValidationFailed
from app.core.scope import task_force_scope
from app.decisions import scorecards
from app.decisions.models import Escalation, Incentive, Nudge
from app.extensions import db
from app.issues.models import Issue, ProgressUpdate
from app.people.models import User
from tests import factories

MAY = scorecards.Period(date(2024, 5, 1), date(2024, 5, 31))


def _utc(month: int, day: int) -> datetime:
    return datetime(2024, month, day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _fixture(world) -> dict:
    category = db.session.get(factories.Category, world.category_id)
    member, temp = world.users["member"], world.users["temp_member"]
    unit = world.org_unit_id
    other_unit = factories.make_org_unit("吉林分行").id
    made = {}

    def item(name, owner, **fields):
        made[name] = factories.make_issue(
            category, name, owner_id=owner, created_at=_utc(4, 1), **fields
        )
        return made[name]

    # "member": four items count in May; one closed in April does not.
    item(
        "准时",
        member,
        org_unit_id=unit,
        status="closed",
        deadline=date(2024, 5, 15),
        closed_at=_utc(5, 10),
    )
    item(
        "晚4天",
        member,
        org_unit_id=unit,
        status="closed",
        deadline=date(2024, 5, 16),
        closed_at=_utc(5, 20),
    )
    item(
        "晚10天",
        member,
        org_unit_id=unit,
        status="closed",
        deadline=date(2024, 5, 20),
        closed_at=_utc(5, 30),
    )
    overdue = item(
        "逾期未完", member, org_unit_id=unit, status="in_progress", deadline=date(2024, 5, 25)
    )
    item(
        "四月已结",
        member,
        org_unit_id=unit,
        status="closed",
        deadline=date(2024, 4, 30),
        closed_at=_utc(4, 20),
    )
    # "temp_member": one item without a deadline, closed in May: on time.
    item("无期限", temp, org_unit_id=other_unit, status="closed", closed_at=_utc(5, 5))

    tf = world.task_force_id
    leader = world.users["leader"]
    db.session.add_all(
        [
            ProgressUpdate(
                task_force_id=tf,
                issue_id=overdue.id,
                author_id=member,
                note="进展",
                created_at=_utc(5, 28),
            ),
            ProgressUpdate(
                task_force_id=tf,
                issue_id=overdue.id,
                author_id=member,
                note="六月的进展",
                created_at=_utc(6, 2),
            ),
            Nudge(
                task_force_id=tf,
                issue_id=overdue.id,
                recipient_id=member,
                sent_by_id=leader,
                sent_at=_utc(5, 5),
            ),
            Nudge(
                task_force_id=tf,
                issue_id=overdue.id,
                recipient_id=member,
                sent_by_id=leader,
                sent_at=_utc(5, 29),
            ),
            Nudge(
                task_force_id=tf,
                issue_id=overdue.id,
                recipient_id=member,
                sent_by_id=leader,
                sent_at=_utc(6, 2),
            ),
            Escalation(
                task_force_id=tf,
                issue_id=overdue.id,
                kind="decision",
                level="leader",
                question="?",
                options=[],
                due_on=date(2024, 5, 15),
                raised_by_id=member,
                raised_at=_utc(5, 12),
            ),
            Incentive(
                task_force_id=tf,
                polarity="positive",
                kind="commendation",
                user_id=member,
                reason="按期推进",
                awarded_on=date(2024, 5, 15),
                recorded_by_id=leader,
            ),
            Incentive(
                task_force_id=tf,
                polarity="negative",
                kind="criticism",
                user_id=member,
                reason="四月延误",
                awarded_on=date(2024, 4, 1),
                recorded_by_id=leader,
            ),
            Incentive(
                task_force_id=tf,
                polarity="negative",
                kind="criticism",
                org_unit_id=unit,
                reason="支行推进慢",
                awarded_on=date(2024, 5, 20),
                recorded_by_id=leader,
            ),
        ]
    )
    db.session.commit()
    return {"unit": unit, "other_unit": other_unit}


def _lines(world, by="member", sort="name"):
    leader = db.session.get(User, world.users["leader"])
    return {
        line.key: line for line in scorecards.scorecards(leader, world.task_force_id, MAY, by, sort)
    }


def test_a_members_scorecard_for_may(ctx, world):
    with task_force_scope(world.task_force_id):
        _fixture(world)
        lines = _lines(world)
    member = lines[world.users["member"]]
    assert (member.owned, member.closed, member.closed_on_time) == (4, 3, 1)
    assert member.on_time_rate == pytest.approx(0.333, abs=0.001)
    assert member.overdue_now == 1
    assert member.median_delay == 7.0  # the median of 4 and 10 days late
    assert member.days_since_update == 3  # 28 May to the end of the period
    assert (member.nudges, member.escalations) == (2, 1)
    assert (member.positive, member.negative) == (1, 0)
    temp = lines[world.users["temp_member"]]
    assert (temp.owned, temp.closed, temp.closed_on_time, temp.on_time_rate) == (1, 1, 1, 1.0)
    assert temp.median_delay is None and temp.days_since_update is None
    # Everyone on the roster but the viewer has a line, with or without items.
    assert world.users["leader"] in lines and world.users["viewer"] not in lines


def test_an_org_units_scorecard_for_may(ctx, world):
    with task_force_scope(world.task_force_id):
        units = _fixture(world)
        lines = _lines(world, by="unit")
    unit = lines[units["unit"]]
    assert (unit.owned, unit.closed, unit.closed_on_time, unit.overdue_now) == (4, 3, 1, 1)
    assert unit.median_delay == 7.0
    assert (unit.nudges, unit.escalations, unit.negative) == (2, 1, 1)
    assert lines[units["other_unit"]].closed == 1


def test_the_default_period_s_item_figures_are_kept_as_items_change(ctx, world):
    """The period the page opens on is counted by ``issues.tally``: after each change to
    an item, the kept figures per member and per unit (and the medians of their late
    closures) equal those counted over every item, and no change counts all the items
    again."""
    tf = world.task_force_id
    period = scorecards.default_period()  # 90 days up to 3 June 2024: May is in it

    def same() -> list[str]:
        """Compare; the statements the kept counts were read with."""
        statements: list[str] = []
        note = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
        for by in ("member", "unit"):
            event.listen(db.engine, "before_cursor_execute", note)
            try:
                kept = scorecards.item_counts(tf, period, by)
            finally:
                event.remove(db.engine, "before_cursor_execute", note)
            assert kept == scorecards.item_counts_afresh(tf, period, by), by
            assert kept  # the fixture's items count for someone
            delays = scorecards.median_delays(tf, period, by)
            assert delays == scorecards.median_delays_afresh(tf, period, by), by
        return statements

    with task_force_scope(tf):
        units = _fixture(world)
        same()
        by_title = {i.title: i for i in db.session.scalars(select(Issue))}
        changes = [
            lambda: (
                setattr(by_title["逾期未完"], "status", "closed")
                or setattr(by_title["逾期未完"], "closed_at", _utc(6, 1))
            ),
            lambda: setattr(by_title["准时"], "owner_id", world.users["temp_member"]),
            lambda: setattr(by_title["晚4天"], "org_unit_id", units["other_unit"]),
            lambda: setattr(by_title["无期限"], "status", "dropped"),
            lambda: factories.make_issue(
                db.session.get(factories.Category, world.category_id),
                "新的逾期",
                owner_id=world.users["member"],
                org_unit_id=units["unit"],
                deadline=date(2024, 6, 1),
            ),
        ]
        for change in changes:
            change()
            db.session.commit()
            kept_reads = same()
            assert any("data_change" in s for s in kept_reads)
            item_reads = [s for s in kept_reads if "FROM issue" in s]
            assert item_reads and all("issue.id IN" in s for s in item_reads)


def test_scorecards_sort_by_any_column(ctx, world):
    with task_force_scope(world.task_force_id):
        _fixture(world)
        leader = db.session.get(User, world.users["leader"])
        ordered = scorecards.scorecards(leader, world.task_force_id, MAY, "member", "-owned")
        by_rate = scorecards.scorecards(leader, world.task_force_id, MAY, "member", "on_time_rate")
    assert ordered[0].key == world.users["member"]
    # Lines without closures (no rate) come last, whatever the direction.
    assert [line.key for line in by_rate[:2]] == [world.users["member"], world.users["temp_member"]]


def test_the_scorecard_page_and_the_persons_record(app, world, login, look):
    with look(), task_force_scope(world.task_force_id):
        _fixture(world)
    leader = login("leader")
    page = leader.get("/scorecards?start=2024-05-01&end=2024-05-31&sort=-owned")
    assert page.status_code == 200
    record = leader.get(
        f"/people/{world.users['member']}/record?start=2024-05-01&end=2024-05-31"
    ).get_data(as_text=True)
    assert "按期推进" in record and "四月延误" in record
    assert login("member").get("/scorecards").status_code == 403


def test_the_leaders_record_incentives_and_members_do_not(app, world, login, look):
    leader = login("exec_leader")
    response = leader.post(
        "/incentives",
        data={
            "polarity": "positive",
            "kind": "bonus",
            "user_id": world.users["member"],
            "reason": "提前完成归集功能上线",
            "issue_id": world.issue_id,
            "awarded_on": "2024-06-03",
        },
    )
    assert response.status_code == 302
    with look():
        incentive = db.session.query(Incentive).one()
        assert (incentive.polarity, incentive.user_id, incentive.issue_id) == (
            "positive",
            world.users["member"],
            world.issue_id,
        )
    missing = leader.post(
        "/incentives",
        data={
            "polarity": "negative",
            "kind": "criticism",
            "reason": "x",
            "awarded_on": "2024-06-03",
        },
    )
    assert missing.status_code == 400  # neither a person nor an org unit
    assert login("member").post("/incentives", data={}).status_code == 403


def test_an_incentive_needs_someone_and_a_reason(ctx, world):
    with task_force_scope(world.task_force_id):
        leader = db.session.get(User, world.users["leader"])
        with pytest.raises(ValidationFailed):
            scorecards.record_incentive(
                leader,
                world.task_force_id,
                scorecards.IncentiveInput(
                    "positive", "bonus", "  ", date(2024, 6, 3), user_id=world.users["member"]
                ),
            )
        with pytest.raises(PermissionDenied):
            scorecards.record_incentive(
                db.session.get(User, world.users["member"]),
                world.task_force_id,
                scorecards.IncentiveInput(
                    "positive", "bonus", "好", date(2024, 6, 3), user_id=world.users["member"]
                ),
            )


def test_a_persons_record_is_only_for_people_on_the_roster_now_or_before(world, login):
    leader = login("leader")
    outsider = leader.get(f"/people/{world.users['outsider']}/record")
    assert outsider.status_code == 404
    assert "outsider" not in outsider.get_data(as_text=True)
    assert leader.get(f"/people/{world.users['admin']}/record").status_code == 404
    # A temporary member whose membership has ended was on the roster: their record stays.
    assert leader.get(f"/people/{world.users['expired_temp']}/record").status_code == 200
    assert leader.get(f"/people/{world.users['member']}/record").status_code == 200
