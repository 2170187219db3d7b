"""The activity stream on a phone: the owner reports progress, the leader reads it in 动态
from the battle map, filters it and opens the item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.permissions import LEADER, MEMBER
from app.core.scope import unscoped
from tests import factories
from tests.browser.test_phone import PHONE, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

TITLE = "现金管理类产品归集与支付功能上线及分行推广，覆盖全部二级分行与重点支行"


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (("zhangwei", "张伟", LEADER), ("wangfang", "王芳", MEMBER)):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        item = factories.make_issue(
            category,
            TITLE,
            code="KH-001",
            owner_id=ids["wangfang"],
            status="in_progress",
            deadline=clock.today() + timedelta(days=10),
        )
        ids["item"] = item.id
        return ids


def test_the_leader_reads_the_owners_progress_in_the_stream_on_a_phone(
    app, live_server, new_page, team, artifacts
):
    owner = log_in(new_page, live_server, "wangfang")
    owner.goto(f"{live_server}/issues/{team['item']}")
    progress = owner.get_by_test_id("progress-form")
    progress.locator("textarea[name=note]").fill("已完成需求评审，长春、吉林分行进入联调")
    progress.locator("input[name=percent]").fill("40")
    progress.locator("button[type=submit]").click()
    expect(owner.get_by_text("长春、吉林分行进入联调").first).to_be_visible()

    page = log_in(new_page, live_server, "zhangwei", viewport=PHONE)
    page.get_by_test_id("activity-link-home").click()
    entries = page.get_by_test_id("activity-entry")
    expect(entries.first).to_contain_text("王芳")
    expect(entries.first).to_contain_text("已完成需求评审")
    expect(entries.first).to_contain_text("KH-001")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-activity-zh-390.png"), full_page=True)

    filters = page.get_by_test_id("activity-filters")
    filters.locator("select[name=who]").select_option(str(team["wangfang"]))
    filters.locator("select[name=kind]").select_option("items")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/activity?who={team['wangfang']}&dimension=&kind=items")
    expect(entries).not_to_have_count(0)
    for text in entries.all_inner_texts():
        assert "王芳" in text
    assert no_sideways_scroll(page)

    entries.first.get_by_test_id("activity-link").click()
    expect(page).to_have_url(f"{live_server}/issues/{team['item']}")
    expect(page.get_by_test_id("progress-form")).to_be_visible()

    page.goto(live_server + "/activity/following")
    expect(page.get_by_test_id("activity-empty")).to_be_visible()  # the leader owns nothing
    owner.goto(live_server + "/activity/following")
    expect(owner.get_by_test_id("activity-entry").first).to_contain_text("已完成需求评审")
    assert no_sideways_scroll(owner)
