"""Each reminder rule at chosen dates: who is told, what, and only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import Notification
from app.core.reminders import DIGEST_SECTIONS, DigestSection
from app.extensions import db
from app.issues.models import Category, Milestone
from app.notify import rules
from app.notify.service import Preferences, save_preferences
from app.people.models import User
from tests import factories
from tests.jobs import run_all, run_rule
from tests.notify.conftest import TODAY, days


@pytest.fixture(autouse=True)
def _in_app(ctx):
    """These tests call the rules directly, as the scheduler does."""


@pytest.fixture
def category(ctx, world):
    return db.session.get(Category, world.category_id)


def messages(kind: str, recipient_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    return list(db.session.scalars(query))


def test_due_soon_tells_the_owner_days_before_the_deadline_once(category, world):
    owner = world.users["member"]
    issue = factories.make_issue(category, "代销理财产品上架", owner_id=owner, deadline=days(2))
    first = run_rule("due_soon")
    again = run_rule("due_soon")
    found = [m for m in messages("due_soon", owner) if m.subject_id == issue.id]
    assert len(found) == 1
    assert issue.code in found[0].text and "2024-06-05" in found[0].text
    assert found[0].link == f"/issues/{issue.id}"
    assert first.written >= 1 and again.written == 0


def test_due_soon_covers_milestones_and_ignores_far_or_done_ones(category, world):
    owner = world.users["member"]
    issue = factories.make_issue(category, "私行中心改革", owner_id=owner, deadline=days(60))
    db.session.add_all(
        [
            Milestone(
                task_force_id=issue.task_force_id,
                issue_id=issue.id,
                title="方案评审",
                due_on=days(1),
            ),
            Milestone(
                task_force_id=issue.task_force_id,
                issue_id=issue.id,
                title="已完成",
                due_on=days(1),
                done_on=TODAY,
            ),
            Milestone(
                task_force_id=issue.task_force_id, issue_id=issue.id, title="远期", due_on=days(40)
            ),
        ]
    )
    db.session.commit()
    run_rule("due_soon")
    texts = [m.text for m in messages("due_soon", owner)]
    assert any("方案评审" in t for t in texts)
    assert not any("已完成" in t or "远期" in t for t in texts)
    # The world's item (deadline in 30 days, milestone in 20) is not due soon.
    assert all(m.subject_id != world.issue_id for m in messages("due_soon"))


def test_overdue_tells_the_owner_every_day(category, world):
    owner = world.users["member"]
    issue = factories.make_issue(category, "逾期事项", owner_id=owner, deadline=days(-3))
    closed = factories.make_issue(
        category, "已销号", owner_id=owner, deadline=days(-3), status="closed"
    )
    run_rule("overdue")
    run_rule("overdue")
    assert [m.subject_id for m in messages("overdue")] == [issue.id]
    assert "3" in messages("overdue")[0].text
    clock.set_today(days(1))
    run_rule("overdue")
    assert len(messages("overdue", owner)) == 2
    assert closed.id not in {m.subject_id for m in messages("overdue")}


def test_overdue_weekly_goes_to_the_executive_leader_once_a_week(category, world):
    late = factories.make_issue(
        category, "逾期一", owner_id=world.users["member"], deadline=days(-10)
    )
    run_rule("overdue_weekly")
    clock.set_today(days(2))  # same ISO week
    run_rule("overdue_weekly")
    found = messages("overdue_weekly")
    assert [m.recipient_id for m in found] == [world.users["exec_leader"]]
    assert late.code in found[0].text and "1" in found[0].text
    clock.set_today(days(7))
    run_rule("overdue_weekly")
    assert len(messages("overdue_weekly")) == 2


def test_stale_items_remind_their_owner_again_every_period(app, category, world):
    owner = world.users["member"]
    issue = factories.make_issue(
        category,
        "长期未更新",
        owner_id=owner,
        deadline=days(90),
        last_progress_at=datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
    )
    run_rule("stale")
    run_rule("stale")
    assert [m.subject_id for m in messages("stale", owner)].count(issue.id) == 1
    clock.set_today(days(app.config["REMINDER_STALE_DAYS"]))
    run_rule("stale")
    assert [m.subject_id for m in messages("stale", owner)].count(issue.id) == 2


def test_unacknowledged_assignment_is_chased_after_some_days(category, world):
    owner = world.users["member"]
    fresh = factories.make_issue(
        category, "刚分派", owner_id=owner, assigned_at=clock.now(), acknowledged_at=None
    )
    old = factories.make_issue(
        category,
        "久未签收",
        owner_id=owner,
        assigned_at=clock.now() - timedelta(days=5),
        acknowledged_at=None,
    )
    run_rule("unacknowledged")
    assert [m.subject_id for m in messages("unacknowledged")] == [old.id]
    assert fresh.id != old.id


def test_temporary_membership_ending_tells_the_member_and_the_executive_leader(world):
    clock.set_today(days(25))  # the world's temporary member leaves 30 days after TODAY
    run_rule("membership_ending")
    found = messages("membership_ending")
    assert {m.recipient_id for m in found} == {
        world.users["temp_member"],
        world.users["exec_leader"],
    }
    own = next(m for m in found if m.recipient_id == world.users["temp_member"])
    assert "2024-07-03" in own.text
    run_rule("membership_ending")
    assert len(messages("membership_ending")) == 2


def test_weekly_digest_on_monday_lists_red_items_to_both_leaders(category, world):
    red = factories.make_issue(
        category, "受阻事项", owner_id=world.users["member"], status="blocked"
    )
    results = run_all()
    assert "weekly_digest" in [r.rule for r in results]
    found = messages("weekly_digest")
    assert {m.recipient_id for m in found} == {world.users["leader"], world.users["exec_leader"]}
    assert all(red.code in m.text for m in found)


def test_weekly_rules_wait_for_monday_in_a_daily_pass(world):
    clock.set_today(days(1))  # a Tuesday
    assert "weekly_digest" not in [r.rule for r in run_all()]
    assert messages("weekly_digest") == []


def test_digest_sections_of_other_features_join_the_digest(world):
    section = DigestSection(
        "Meetings this week",
        lambda ctx, task_forces: {tf: ["2024-06-05 月度推进会"] for tf in task_forces},
    )
    DIGEST_SECTIONS.append(section)
    try:
        run_rule("weekly_digest")
    finally:
        DIGEST_SECTIONS.remove(section)
    assert all("月度推进会" in m.text for m in messages("weekly_digest"))


def test_messages_are_in_the_recipients_language(category, world):
    english = factories.make_user("anna", locale="en")
    factories.make_membership(english, db.session.get(factories.TaskForce, world.task_force_id))
    factories.make_issue(category, "Overdue item", owner_id=english.id, deadline=days(-2))
    factories.make_issue(category, "逾期中文", owner_id=world.users["member"], deadline=days(-2))
    run_rule("overdue")
    assert "overdue" in messages("overdue", english.id)[0].text
    assert "逾期" in messages("overdue", world.users["member"])[0].text


def test_a_person_who_turned_a_rule_off_is_not_told_but_mandatory_rules_stay(category, world):
    member = db.session.get(User, world.users["member"])
    save_preferences(member, Preferences(muted_rules=["due_soon", "overdue"]))
    factories.make_issue(category, "将到期", owner_id=member.id, deadline=days(1))
    factories.make_issue(category, "已逾期", owner_id=member.id, deadline=days(-1))
    run_rule("due_soon")
    run_rule("overdue")
    assert messages("due_soon", member.id) == []
    assert len(messages("overdue", member.id)) == 1  # mandatory


def test_deactivated_accounts_are_not_told(category, world):
    gone = factories.make_user("gone", active=False)
    factories.make_issue(category, "无人", owner_id=gone.id, deadline=days(-1))
    run_rule("overdue")
    assert messages("overdue", gone.id) == []


def test_dry_run_writes_nothing_and_shows_what_would_be_sent(category, world):
    factories.make_issue(category, "试运行", owner_id=world.users["member"], deadline=days(-1))
    result = run_rule("overdue", dry_run=True)
    assert result.matched == 1 and result.messages[0]["new"]
    assert (
        db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "overdue"))
        == 0
    )


def test_each_rule_finds_its_targets_with_one_query(category, world):
    for n in range(30):
        factories.make_issue(
            category, f"批量{n}", owner_id=world.users["member"], deadline=days(-1 - n % 5)
        )
    from sqlalchemy import event

    for rule in rules.RULES:
        if rule.prepare:
            continue
        statements = []

        def count(conn, cursor, statement, *args, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            run_rule(rule.name)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        # A grouped rule reads what it last told as well: one more query, not one per person.
        assert len(selects) == (2 if rule.group else 1), (rule.name, selects)


def test_unknown_rule_is_refused(ctx):
    with pytest.raises(KeyError):
        run_rule("no_such_rule")
