"""The problem list in a real browser: an item's life from creation to 销号, and the board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue
from tests import factories
from tests.browser.conftest import eventually

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (
            ("zhangwei", "张伟", LEADER),
            ("lina", "李娜", EXEC_LEADER),
            ("wangfang", "王芳", MEMBER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        ids["category"] = category.id
        ids["task_force"] = task_force.id
    return ids


def log_in(new_page, base_url: str, username: str) -> Page:
    page = new_page()
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    return page


def issue_status(app, code: str) -> str:
    with app.app_context(), unscoped():
        status = db.session.scalar(select(Issue.status).where(Issue.code == code))
        db.session.remove()
    return status


def test_an_item_from_creation_to_closing(app, live_server, new_page, team):
    # The executive leader creates the item and assigns it.
    lead = log_in(new_page, live_server, "lina")
    lead.goto(live_server + "/issues/new")
    form = lead.get_by_test_id("issue-form")
    form.locator("input[name=title]").fill("现金管理类产品归集与支付功能")
    form.locator("select[name=category_id]").select_option(str(team["category"]))
    form.locator("select[name=owner_id]").select_option(str(team["wangfang"]))
    form.locator("input[name=deadline]").fill((clock.today() + timedelta(days=40)).isoformat())
    form.locator("textarea[name=solution]").fill("**上线**归集与支付功能")
    form.locator("button[type=submit]").click()
    expect(lead.get_by_test_id("issue-header")).to_contain_text("KH-001")
    expect(lead.locator(".markdown-body strong")).to_have_text("上线")

    # The owner acknowledges, starts, reports progress and asks for verification,
    # all without leaving the item's page.
    owner = log_in(new_page, live_server, "wangfang")
    owner.goto(live_server + "/my")
    expect(owner.get_by_test_id("to-acknowledge")).to_contain_text("KH-001")
    owner.get_by_test_id("to-acknowledge").get_by_role("link").first.click()
    owner.get_by_test_id("acknowledge").click()
    expect(owner.get_by_test_id("acknowledge")).to_have_count(0)
    status_form = owner.get_by_test_id("status-form")
    status_form.locator("select[name=status]").select_option("in_progress")
    status_form.locator("button[type=submit]").click()
    expect(owner.locator(".status-in_progress").first).to_be_visible()
    progress = owner.get_by_test_id("progress-form")
    progress.locator("textarea[name=note]").fill("已完成需求评审，进入开发")
    progress.locator("input[name=percent]").fill("60")
    progress.locator("button[type=submit]").click()
    expect(owner.get_by_test_id("progress-updates")).to_contain_text("已完成需求评审")
    status_form = owner.get_by_test_id("status-form")
    status_form.locator("select[name=status]").select_option("verifying")
    status_form.locator("button[type=submit]").click()
    expect(owner.locator(".status-verifying").first).to_be_visible()
    assert issue_status(app, "KH-001") == "verifying"

    # The executive leader verifies and closes it (销号); the battle map counts it.
    lead.goto(live_server + "/my")
    lead.get_by_test_id("to-verify").get_by_role("link").first.click()
    status_form = lead.get_by_test_id("status-form")
    status_form.locator("select[name=status]").select_option("closed")
    status_form.locator("textarea[name=verification_note]").fill("现场验收通过")
    status_form.locator("button[type=submit]").click()
    expect(lead.locator(".status-closed").first).to_be_visible()
    assert issue_status(app, "KH-001") == "closed"
    lead.goto(live_server + "/")
    expect(lead.get_by_test_id("total-2")).to_contain_text("1")  # closed
    expect(lead.get_by_test_id("recently-closed")).to_contain_text("KH-001")


def test_a_drag_on_the_board_changes_the_status(app, live_server, new_page, team):
    with app.app_context(), unscoped():
        category = db.session.get(factories.Category, team["category"])
        factories.make_issue(
            category, "保险工作坊", code="KH-010", owner_id=team["wangfang"], status="planning"
        )
        factories.make_issue(
            category,
            "营销竞赛",
            code="KH-011",
            owner_id=team["wangfang"],
            status="new",
            acknowledged_at=None,
        )
    page = log_in(new_page, live_server, "lina")
    page.goto(live_server + "/board")
    card = page.get_by_test_id("board-card").filter(has_text="KH-010")
    card.drag_to(page.locator("[data-column=in_progress] [data-cards]"))
    expect(page.locator("[data-column=in_progress]")).to_contain_text("KH-010")
    assert eventually(lambda: issue_status(app, "KH-010") == "in_progress", page)

    # A move the workflow forbids is refused and the card goes back.
    card = page.get_by_test_id("board-card").filter(has_text="KH-011")
    card.drag_to(page.locator("[data-column=verifying] [data-cards]"))
    expect(page.locator("[data-column=new]")).to_contain_text("KH-011")
    assert issue_status(app, "KH-011") == "new"


def test_the_link_picker_offers_the_task_forces_items_once_a_field_is_focused(
    app, live_server, new_page, team
):
    with app.app_context(), unscoped():
        category = db.session.get(factories.Category, team["category"])
        first = factories.make_issue(category, "现金管理类产品归集", code="KH-001")
        factories.make_issue(category, "代发工资客户转化", code="KH-002")
        first_id = first.id
    lead = log_in(new_page, live_server, "lina")
    lead.goto(live_server + f"/issues/{first_id}")
    choices = lead.locator("datalist#item-choices option")
    expect(choices).to_have_count(0)  # not in the page: fetched when needed
    lead.locator("input[list=item-choices]").first.focus()
    expect(lead.locator("datalist#item-choices option[value^='KH-002']")).to_have_count(1)
    # The page is whole: the fetch filled the picker and touched nothing else.
    expect(lead.get_by_test_id("issue-header")).to_contain_text("KH-001")
    lead.locator("input[list=item-choices]").first.fill("KH-002")
    expect(lead.locator("input[list=item-choices]").first).to_have_value("KH-002")
