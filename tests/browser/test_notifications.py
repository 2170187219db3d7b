"""A member reads a reminder in the notification centre and sets how to be told."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.permissions import MEMBER
from app.core.scope import unscoped
from tests import factories
from tests.browser.test_journey import log_in
from tests.jobs import run_rule
from tests.notify.conftest import make_channel

pytestmark = pytest.mark.browser

TODAY = date(2024, 6, 4)


@pytest.fixture
def reminded(app):
    """A member with one overdue item, reminded by the overdue rule; an e-mail channel."""
    clock.set_today(TODAY)
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        member = factories.make_user("wangfang", display_name="王芳")
        factories.make_membership(member, task_force, MEMBER)
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        issue = factories.make_issue(
            category, "代销保险产品上架", owner_id=member.id, deadline=TODAY - timedelta(days=2)
        )
        make_channel("单位邮箱", "email")
        assert run_rule("overdue").written == 1
        return issue.id


def test_member_reads_a_reminder_marks_it_read_and_chooses_channels(
    live_server, new_page, reminded, artifacts
):
    page = new_page()
    log_in(page, live_server, "wangfang")
    badge = page.get_by_test_id("unread-badge")
    expect(badge).to_have_text("1")

    page.get_by_test_id("notifications-link").click()
    items = page.get_by_test_id("notification-list")
    expect(items).to_contain_text("代销保险产品上架 已逾期 2 天")
    items.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/issues/{reminded}$"))

    page.get_by_test_id("notifications-link").click()
    page.get_by_role("button", name="标为已读", exact=True).click()
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)

    page.get_by_test_id("notification-settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知设置")
    expect(page.get_by_label("事项逾期（每日）")).to_be_disabled()
    page.get_by_label("单位邮箱").check()
    page.get_by_label("长时间未更新进展").uncheck()
    page.get_by_label("免打扰开始").fill("22:00")
    page.get_by_label("免打扰结束").fill("07:30")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("通知设置已保存")
    expect(page.get_by_label("单位邮箱")).to_be_checked()
    expect(page.get_by_label("长时间未更新进展")).not_to_be_checked()
    expect(page.get_by_label("免打扰结束")).to_have_value("07:30")
    page.screenshot(path=str(artifacts / "notification-settings.png"), full_page=True)
