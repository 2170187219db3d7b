"""Per-item rules tell one message per person and task force, listing the items.

Overdue, due soon, stale and unacknowledged: several items of one owner make one message;
one item links to the item itself; a pass with nothing new writes nothing; something new
(an item newly overdue, stale, due soon or assigned) is told, an item leaving is not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import Notification
from app.extensions import db
from app.issues.models import Category, Milestone
from app.notify.models import ToldItems
from app.notify.rules import SHOWN
from app.notify.service import Preferences, save_preferences
from app.people.models import TaskForce, User
from tests import factories
from tests.jobs import run_all, run_rule
from tests.notify.conftest import days


@pytest.fixture(autouse=True)
def _in_app(ctx):
    """These tests call the rules directly, as the scheduler does."""


@pytest.fixture
def category(world) -> Category:
    return db.session.get(Category, world.category_id)


@pytest.fixture
def owner(world) -> User:
    """A member with no items of the world's own, so each test sees only its items."""
    user = factories.make_user("zhaolei")
    factories.make_membership(user, db.session.get(TaskForce, world.task_force_id))
    return user


def messages(kind: str, recipient_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.kind == kind, Notification.recipient_id == recipient_id)
            .order_by(Notification.id)
        )
    )


def overdue(category, owner, title: str, late: int, **fields):
    return factories.make_issue(category, title, owner_id=owner.id, deadline=days(-late), **fields)


def stale(category, owner, title: str, quiet: int):
    """An item whose last progress update was ``quiet`` days before TODAY's clock."""
    return factories.make_issue(
        category,
        title,
        owner_id=owner.id,
        deadline=days(90),
        created_at=clock.now() - timedelta(days=quiet + 10),
        last_progress_at=clock.now() - timedelta(days=quiet),
    )


# --- one message per person ----------------------------------------------------------------


def test_several_items_of_one_owner_make_one_message_listing_them(category, owner, world):
    items = [overdue(category, owner, f"逾期事项{n}", late=n + 1) for n in range(3)]
    closed = overdue(category, owner, "已销号", late=2, status="closed")
    result = run_rule("overdue")
    [message] = messages("overdue", owner.id)
    lines = message.text.splitlines()
    assert lines[0] == "您负责的 3 项事项已逾期："
    # The longest overdue first, each with its code, title and how late it is.
    assert lines[1:] == [
        f"• {items[2].code} 逾期事项2：已逾期 3 天（完成时限 2024-05-31）",
        f"• {items[1].code} 逾期事项1：已逾期 2 天（完成时限 2024-06-01）",
        f"• {items[0].code} 逾期事项0：已逾期 1 天（完成时限 2024-06-02）",
    ]
    assert closed.code not in message.text
    assert message.link == "/reminders/overdue" and message.subject_id is None
    assert result.written == 1 and result.items == 3


def test_a_long_list_shows_the_first_items_and_counts_the_rest(category, owner):
    for n in range(SHOWN + 3):
        overdue(category, owner, f"事项{n}", late=n + 1)
    run_rule("overdue")
    [message] = messages("overdue", owner.id)
    lines = message.text.splitlines()
    assert lines[0] == f"您负责的 {SHOWN + 3} 项事项已逾期："
    assert len([line for line in lines if line.startswith("• ")]) == SHOWN
    assert lines[-1] == "……另有 3 项。"


def test_one_item_is_told_in_its_own_words_and_links_to_it(category, owner):
    issue = overdue(category, owner, "单独一项", late=3)
    run_rule("overdue")
    [message] = messages("overdue", owner.id)
    assert message.text == f"{issue.code} 单独一项 已逾期 3 天（完成时限 2024-05-31）。"
    assert message.link == f"/issues/{issue.id}" and message.subject_id == issue.id


def test_each_task_force_of_a_person_has_its_own_message(category, owner):
    other = factories.make_task_force("零售转型攻坚小组")
    factories.make_membership(owner, other)
    elsewhere = factories.make_category(other.id, "渠道端", prefix="QD")
    overdue(category, owner, "本组一", late=1)
    overdue(category, owner, "本组二", late=2)
    overdue(elsewhere, owner, "他组一", late=1)
    run_rule("overdue")
    found = messages("overdue", owner.id)
    assert sorted(m.task_force_id for m in found) == sorted([category.task_force_id, other.id])


# --- nothing twice, something new told -----------------------------------------------------


def test_a_second_pass_writes_nothing(category, owner):
    for n in range(3):
        overdue(category, owner, f"逾期{n}", late=n + 1)
        stale(category, owner, f"停滞{n}", quiet=20 + n)
    factories.make_issue(category, "将到期一", owner_id=owner.id, deadline=days(1))
    factories.make_issue(category, "将到期二", owner_id=owner.id, deadline=days(2))
    first = run_all()
    told = db.session.scalar(select(func.count(ToldItems.id)))
    second = run_all()
    assert {r.rule: r.written for r in first if r.rule in ("overdue", "stale", "due_soon")} == {
        "overdue": 1,
        "stale": 1,
        "due_soon": 1,
    }
    assert sum(r.written for r in second) == 0
    assert db.session.scalar(select(func.count(ToldItems.id))) == told


def test_overdue_is_told_every_day_with_the_newly_overdue_first(category, owner):
    old = overdue(category, owner, "早已逾期", late=5)
    other = overdue(category, owner, "也已逾期", late=3)
    run_rule("overdue")
    run_rule("overdue")
    assert len(messages("overdue", owner.id)) == 1
    clock.set_today(days(1))
    fresh = overdue(category, owner, "今天刚逾期", late=0)  # due on day 0: overdue on day 1
    run_rule("overdue")
    found = messages("overdue", owner.id)
    assert len(found) == 2
    lines = found[1].text.splitlines()
    assert lines[0] == "您负责的 3 项事项已逾期："
    assert lines[1] == f"• {fresh.code} 今天刚逾期：已逾期 1 天（完成时限 2024-06-03）（新）"
    assert lines[2].startswith(f"• {old.code} ") and not lines[2].endswith("（新）")
    assert lines[3].startswith(f"• {other.code} ")
    clock.set_today(days(2))
    run_rule("overdue")  # nothing new, but overdue is daily
    assert len(messages("overdue", owner.id)) == 3


def test_overdue_made_new_later_the_same_day_is_told_and_one_closed_is_not(category, owner):
    first = overdue(category, owner, "逾期一", late=1)
    overdue(category, owner, "逾期二", late=2)
    run_rule("overdue")
    first.status = "closed"
    db.session.commit()
    assert run_rule("overdue").written == 0  # one left the list: nothing to tell
    moved = factories.make_issue(category, "改了时限", owner_id=owner.id, deadline=days(30))
    moved.deadline = days(-1)
    db.session.commit()
    assert run_rule("overdue").written == 1
    assert "改了时限" in messages("overdue", owner.id)[-1].text


def test_stale_tells_when_an_item_turns_stale_and_again_after_the_period(app, category, owner):
    period = app.config["REMINDER_STALE_DAYS"]
    first = stale(category, owner, "停滞一", quiet=period + 5)
    second = stale(category, owner, "停滞二", quiet=period + 1)
    third = stale(category, owner, "快要停滞", quiet=period - 1)
    run_rule("stale")
    [message] = messages("stale", owner.id)
    assert message.text.splitlines()[0] == (
        f"您负责的 2 项事项已超过 {period} 天未更新进展，请及时记录当前进度："
    )
    assert third.code not in message.text
    clock.set_today(days(1))
    assert run_rule("stale").written == 0  # nothing turned stale overnight
    clock.set_today(days(2))
    run_rule("stale")  # the third has now gone a whole period without an update
    found = messages("stale", owner.id)
    assert len(found) == 2
    assert found[1].text.splitlines()[1].startswith(f"• {third.code} 快要停滞")
    assert found[1].text.splitlines()[1].endswith("（新）")
    # Progress on one is not news for its owner.
    clock.set_today(days(3))
    second.last_progress_at = clock.now()
    db.session.commit()
    assert run_rule("stale").written == 0
    # A whole period after the last message, the ones still stale are told again.
    clock.set_today(days(2 + period))
    run_rule("stale")
    found = messages("stale", owner.id)
    assert len(found) == 3
    assert first.code in found[2].text and third.code in found[2].text
    assert second.code not in found[2].text


def test_an_item_that_leaves_and_comes_back_unchanged_is_not_told_again(category, owner):
    overdue(category, owner, "逾期一", late=1)
    back = overdue(category, owner, "逾期二", late=2)
    run_rule("overdue")
    back.owner_id = factories.make_user("handover").id  # handed over for a while
    db.session.commit()
    run_rule("overdue")
    back.owner_id = owner.id
    db.session.commit()
    run_rule("overdue")
    assert len(messages("overdue", owner.id)) == 1


def test_unacknowledged_is_told_once_per_assignment(category, owner):
    def assigned(title: str, ago: int):
        return factories.make_issue(
            category,
            title,
            owner_id=owner.id,
            assigned_at=clock.now() - timedelta(days=ago),
            acknowledged_at=None,
        )

    one = assigned("未签收一", 5)
    assigned("未签收二", 4)
    assigned("刚分派", 0)
    run_rule("unacknowledged")
    [message] = messages("unacknowledged", owner.id)
    assert message.text.splitlines()[0] == "分派给您的 2 项事项尚未签收："
    assert "刚分派" not in message.text and "5 天前分派" in message.text
    one.acknowledged_at = clock.now()
    db.session.commit()
    clock.set_today(days(1))
    assert run_rule("unacknowledged").written == 0
    clock.set_today(days(3))  # the fresh one has waited long enough now
    assert run_rule("unacknowledged").written == 1
    assert "刚分派" in messages("unacknowledged", owner.id)[-1].text


def test_due_soon_is_told_once_per_deadline(category, owner):
    first = factories.make_issue(category, "将到期一", owner_id=owner.id, deadline=days(1))
    factories.make_issue(category, "将到期二", owner_id=owner.id, deadline=days(3))
    run_rule("due_soon")
    [message] = messages("due_soon", owner.id)
    assert "将于 2024-06-04 到期（还有 1 天）" in message.text
    assert message.link == "/reminders/due_soon"
    clock.set_today(days(1))
    assert run_rule("due_soon").written == 0
    first.deadline = days(4)  # moved: a new deadline to be told of
    db.session.commit()
    assert run_rule("due_soon").written == 1


# --- the recipient's language and choices --------------------------------------------------


def test_a_grouped_message_is_in_the_recipients_language(category, world):
    english = factories.make_user("anna", locale="en")
    factories.make_membership(english, db.session.get(TaskForce, world.task_force_id))
    issue = overdue(category, english, "Late report", late=2)
    overdue(category, english, "Late review", late=1)
    run_rule("overdue")
    [message] = messages("overdue", english.id)
    assert message.text.splitlines()[:2] == [
        "2 of your items are overdue:",
        f"• {issue.code} Late report: 2 days overdue (deadline 2024-06-01)",
    ]


def test_opting_out_silences_a_grouped_rule_but_not_a_mandatory_one(category, owner):
    save_preferences(owner, Preferences(muted_rules=["due_soon", "stale"]))
    for n in range(2):
        factories.make_issue(category, f"将到期{n}", owner_id=owner.id, deadline=days(n + 1))
        overdue(category, owner, f"逾期{n}", late=n + 1)
    run_rule("due_soon")
    run_rule("overdue")
    assert messages("due_soon", owner.id) == []
    assert len(messages("overdue", owner.id)) == 1  # mandatory
    assert db.session.scalar(select(ToldItems).where(ToldItems.rule == "due_soon")) is None


def test_a_deactivated_owner_is_not_told(category, owner):
    for n in range(2):
        overdue(category, owner, f"逾期{n}", late=n + 1)
    owner.active = False
    db.session.commit()
    run_rule("overdue")
    assert messages("overdue", owner.id) == []


def test_dry_run_shows_one_message_per_person_and_writes_nothing(category, owner, world):
    for n in range(3):
        overdue(category, owner, f"逾期{n}", late=n + 1)
    preview = run_rule("overdue", dry_run=True)
    [mine] = [m for m in preview.messages if m["recipient_id"] == owner.id]
    assert mine["new"] and "您负责的 3 项事项已逾期" in mine["text"]
    assert preview.items == 3 and preview.matched == 1
    assert messages("overdue", owner.id) == []
    assert db.session.scalar(select(func.count(ToldItems.id))) == 0
    run_rule("overdue")
    again = run_rule("overdue", dry_run=True)
    assert [m["new"] for m in again.messages] == [False]


# --- overdue milestones --------------------------------------------------------------------


def milestone(issue, title: str, late: int, done: bool = False) -> Milestone:
    step = Milestone(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        title=title,
        due_on=days(-late),
        done_on=days(-1) if done else None,
    )
    db.session.add(step)
    db.session.commit()
    return step


def test_overdue_milestones_join_the_owners_overdue_message(category, owner):
    late_item = overdue(category, owner, "逾期事项", late=2)
    on_time = factories.make_issue(category, "按期推进", owner_id=owner.id, deadline=days(30))
    milestone(on_time, "方案评审", late=4)
    milestone(on_time, "已完成的一步", late=6, done=True)
    closed = overdue(category, owner, "已销号", late=1, status="closed")
    milestone(closed, "销号前未做", late=3)

    result = run_rule("overdue")

    [message] = messages("overdue", owner.id)
    assert message.text.splitlines() == [
        "您负责的事项有 2 个完成时限或里程碑已逾期：",
        f"• {on_time.code} 按期推进：里程碑“方案评审”已逾期 4 天（到期日 2024-05-30）",
        f"• {late_item.code} 逾期事项：已逾期 2 天（完成时限 2024-06-01）",
    ]
    assert message.link == "/reminders/overdue"
    assert result.items == 2


def test_one_overdue_milestone_is_told_in_its_own_words_in_the_owners_language(category, owner):
    owner.locale = "en"
    issue = factories.make_issue(category, "私行中心改革", owner_id=owner.id, deadline=days(30))
    milestone(issue, "Pilot review", late=3)

    run_rule("overdue")

    [message] = messages("overdue", owner.id)
    assert message.text == (
        f"Milestone “Pilot review” of {issue.code} 私行中心改革 is 3 days overdue "
        "(due on 2024-05-31)."
    )
    assert message.link == f"/issues/{issue.id}" and message.subject_id == issue.id


def test_a_milestone_newly_overdue_is_marked_new_and_one_done_is_not_told(category, owner):
    issue = factories.make_issue(category, "私行中心改革", owner_id=owner.id, deadline=days(30))
    first = milestone(issue, "第一步", late=2)
    run_rule("overdue")
    clock.set_today(days(1))
    milestone(issue, "第二步", late=0)  # due today: overdue tomorrow

    run_rule("overdue")

    lines = messages("overdue", owner.id)[-1].text.splitlines()
    assert lines[1].startswith(f"• {issue.code} 私行中心改革：里程碑“第二步”")
    assert lines[1].endswith("（新）") and not lines[2].endswith("（新）")
    first.done_on = days(1)
    db.session.commit()
    assert run_rule("overdue").written == 0  # one left the list: nothing to tell today
