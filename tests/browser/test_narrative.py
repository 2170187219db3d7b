"""The review's narrative in a real browser: the executive leader writes on a phone, the
leader approves at a desk."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER
from app.core.quarters import Quarter
from app.core.scope import unscoped
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app) -> None:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        for username, name, role in (
            ("liming", "李明远", LEADER),
            ("zhanghui", "张慧", EXEC_LEADER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)


def log_in(new_page, base_url: str, username: str, **options):
    page = new_page(**options)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    return page


def test_written_on_a_phone_and_approved_at_a_desk(live_server, new_page, team, artifacts):
    quarter = str(Quarter.of(clock.today()))
    phone = log_in(new_page, live_server, "zhanghui", viewport={"width": 390, "height": 844})
    phone.goto(f"{live_server}/reports/narrative/{quarter}")
    phone.get_by_test_id("start-narrative").click()
    expect(phone.get_by_test_id("narrative-status")).to_have_text("草稿")
    phone.locator("#results").fill("本季度销号两项，**非存AUM**稳步增长。")
    phone.get_by_test_id("preview-narrative").click()
    expect(phone.get_by_test_id("preview-results").locator("strong")).to_have_text("非存AUM")
    phone.screenshot(path=str(artifacts / "narrative-phone.png"), full_page=False)
    phone.get_by_test_id("save-narrative").click()
    expect(phone.get_by_test_id("narrative-history")).to_contain_text("张慧 修改了 主要成效")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    phone.screenshot(path=str(artifacts / "narrative-phone-saved.png"), full_page=True)

    desk = log_in(new_page, live_server, "liming", viewport={"width": 1280, "height": 900})
    desk.goto(f"{live_server}/reports/narrative/{quarter}")
    form = desk.get_by_test_id("approve-form")
    form.locator("textarea").fill("同意，请抓好落实。")
    form.get_by_test_id("approve").click()
    expect(desk.get_by_test_id("narrative-status")).to_have_text("已审定")
    expect(desk.get_by_test_id("narrative-state")).to_contain_text("李明远")
    expect(desk.get_by_test_id("narrative-instruction")).to_contain_text("同意，请抓好落实。")
    desk.screenshot(path=str(artifacts / "narrative-approved.png"), full_page=True)
