"""A person on two task forces, in a real browser: a message from the other task force
opens its item there; "My items" shows both; the intake form's dimensions follow the
task force chosen, without losing what was typed."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app.core import outbox
from app.core.permissions import EXEC_LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.people.models import User
from tests import factories
from tests.browser.test_journey import PHONE, choose_language, log_in

pytestmark = pytest.mark.browser

WEALTH = "非存AUM攻坚克难小组"
DEPOSITS = "对公存款攻坚小组"


@pytest.fixture
def liuyang(app):
    """刘洋, member of both task forces, working in the wealth one; a reminder about her
    item in the deposits one, and a message of the wealth one."""
    with app.app_context(), unscoped():
        wealth = factories.make_task_force(WEALTH)
        deposits = factories.make_task_force(DEPOSITS)
        liu = factories.make_user("liuyang", display_name="刘洋")
        boss = factories.make_user("zhanghui", display_name="张慧")
        for task_force in (wealth, deposits):
            factories.make_membership(liu, task_force, MEMBER)
            factories.make_membership(boss, task_force, EXEC_LEADER)
        kh = factories.make_category(wealth.id, "客户端", prefix="KH")
        factories.make_category(kh.task_force_id, "引客", parent=kh)
        kt = factories.make_category(deposits.id, "客户拓展", prefix="KT")
        factories.make_category(deposits.id, "代发工资", parent=kt)
        mine = factories.make_issue(kh, "代销保险产品上架慢", code="KH-001", owner_id=liu.id)
        theirs = factories.make_issue(kt, "结算户流失严重", code="KT-001", owner_id=liu.id)
        outbox.notify(
            liu.id,
            "nudge",
            "张慧 提醒您推进 KT-001 结算户流失严重（第 1 次催办）。",
            "nudge:kt",
            f"/issues/{theirs.id}",
            task_force_id=deposits.id,
        )
        outbox.notify(
            liu.id,
            "assignment",
            "张慧 将 KH-001 代销保险产品上架慢 指派给您。",
            "assignment:kh",
            f"/issues/{mine.id}",
            task_force_id=wealth.id,
        )
        db.session.get(User, liu.id).current_task_force_id = wealth.id
        db.session.commit()
        return SimpleNamespace(wealth=wealth.id, deposits=deposits.id, theirs=theirs.id)


def test_a_message_from_the_other_task_force_opens_its_item_there(
    live_server, new_page, liuyang, artifacts
):
    page = new_page()
    log_in(page, live_server, "liuyang")
    switcher = page.get_by_test_id("task-force-switcher")
    expect(switcher).to_contain_text(WEALTH)

    page.get_by_test_id("notifications-link").click()
    messages = page.get_by_test_id("notification")
    expect(messages).to_have_count(2)
    reminder = messages.filter(has_text="结算户流失严重")
    expect(reminder.get_by_test_id("notification-task-force")).to_have_text(DEPOSITS)
    page.screenshot(path=str(artifacts / "task-forces-notifications.png"), full_page=True)

    reminder.get_by_role("link").click()

    expect(page).to_have_url(re.compile(rf"/issues/{liuyang.theirs}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("结算户流失严重")
    expect(page.get_by_role("alert")).to_contain_text(f"已切换至 {DEPOSITS}")
    expect(switcher).to_contain_text(DEPOSITS)
    page.screenshot(path=str(artifacts / "task-forces-item-opened.png"), full_page=True)


def test_my_items_of_both_task_forces_on_a_phone(live_server, new_page, liuyang, artifacts):
    page = new_page(viewport=PHONE)
    log_in(page, live_server, "liuyang")
    page.goto(live_server + "/my")
    owned = page.get_by_test_id("my-owned")
    expect(owned).to_contain_text("KH-001")
    expect(owned).to_contain_text("KT-001")
    expect(owned.get_by_test_id("task-force-badge")).to_have_count(2)
    # Nothing wider than the phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    page.screenshot(path=str(artifacts / "task-forces-my-items-phone.png"), full_page=True)

    page.get_by_test_id("task-force-filter").get_by_role("link", name=DEPOSITS).click()
    expect(owned).not_to_contain_text("KH-001")
    expect(owned).to_contain_text("KT-001")

    page.get_by_role("button", name="菜单").click()  # the menu is folded on a phone
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    choose_language(page, "lang-en")
    page.goto(live_server + "/my")
    expect(page.get_by_test_id("task-force-filter")).to_contain_text("All my task forces")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "task-forces-my-items-phone-en.png"), full_page=True)

    page.goto(live_server + "/notifications")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "task-forces-notifications-phone-en.png"), full_page=True)


def test_the_intake_form_s_dimensions_follow_the_task_force_chosen(
    live_server, new_page, liuyang, artifacts
):
    page = new_page()
    log_in(page, live_server, "liuyang")
    page.goto(live_server + "/intake/new")
    task_force = page.get_by_label("攻坚小组")
    expect(task_force).to_have_value(str(liuyang.wealth))
    page.get_by_label("问题或建议").fill("代发客户理财转化率低")
    page.get_by_label("详细说明").fill("代发工资客户多数只做活期。")
    dimension = page.get_by_test_id("category-select")
    dimension.select_option(label="\u3000引客")

    task_force.select_option(str(liuyang.deposits))

    # The wealth dimensions are no longer offered; the choice of one is cleared.
    expect(dimension).to_have_value("")
    offered = dimension.locator("optgroup:not([disabled]) option")
    expect(offered).to_have_text(["客户拓展", "\u3000代发工资"])
    expect(page.get_by_label("问题或建议")).to_have_value("代发客户理财转化率低")
    expect(page.get_by_label("详细说明")).to_have_value("代发工资客户多数只做活期。")
    dimension.select_option(label="\u3000代发工资")
    page.screenshot(path=str(artifacts / "task-forces-intake.png"), full_page=True)

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("谢谢")
    expect(page.get_by_role("main")).to_contain_text("代发客户理财转化率低")
    expect(page.get_by_role("main")).to_contain_text(DEPOSITS)
