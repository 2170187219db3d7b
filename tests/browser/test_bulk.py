"""Bulk edit in a real browser: a range picked with shift-click on a laptop, all on the
page on a phone, one change applied, and the result page read."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core.permissions import LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue
from tests import factories

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("批量操作攻坚小组")
        leader = factories.make_user("bulkleader", display_name="赵磊")
        member = factories.make_user("bulkmember", display_name="孙丽")
        factories.make_membership(leader, task_force, LEADER)
        factories.make_membership(member, task_force, MEMBER)
        category = factories.make_category(task_force.id, "代发", prefix="DF")
        codes = []
        for n, title in enumerate(("代发工资", "理财到期", "信托准入", "基金定投", "保险续期"), 1):
            code = f"DF-{n:03d}"
            factories.make_issue(category, title, code=code, owner_id=member.id)
            codes.append(code)
    return {"codes": codes}


def priorities(app, codes) -> dict[str, str]:
    with app.app_context(), unscoped():
        rows = db.session.execute(select(Issue.code, Issue.priority).where(Issue.code.in_(codes)))
        found = {code: priority for code, priority in rows}
        db.session.remove()
    return found


def log_in(new_page, base_url: str, viewport) -> Page:
    page = new_page(viewport=viewport)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill("bulkleader")
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.goto(base_url + "/issues")
    return page


def test_a_range_picked_with_shift_gets_a_new_priority(app, live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, LAPTOP)
    rows = page.get_by_test_id("issue-table").locator("input[data-bulk-item]")
    expect(rows).to_have_count(5)

    rows.nth(1).click()
    rows.nth(3).click(modifiers=["Shift"])

    expect(page.get_by_test_id("bulk-count")).to_have_text("已选 3 项")
    checked = [rows.nth(i).is_checked() for i in range(5)]
    assert checked == [False, True, True, True, False]
    bar = page.get_by_test_id("bulk-bar")
    bar.locator("select[name=priority]").select_option("urgent")
    page.screenshot(path=str(artifacts / "bulk-list-zh-1280.png"), full_page=True)
    bar.get_by_test_id("bulk-apply").click()

    expect(page.get_by_test_id("bulk-summary")).to_contain_text("已修改 3 项")
    expect(page.get_by_test_id("bulk-item")).to_have_count(3)
    expect(page.get_by_test_id("bulk-results")).to_contain_text("优先级：中 → 紧急")
    page.screenshot(path=str(artifacts / "bulk-result-zh-1280.png"), full_page=True)
    codes = team["codes"]
    assert priorities(app, codes) == {
        codes[0]: "medium",
        codes[1]: "urgent",
        codes[2]: "urgent",
        codes[3]: "urgent",
        codes[4]: "medium",
    }


def test_on_a_phone_all_cards_on_the_page_are_picked(app, live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, PHONE)
    expect(page.get_by_test_id("issue-table")).to_be_hidden()

    page.get_by_test_id("bulk-all-cards").click()

    expect(page.get_by_test_id("bulk-count")).to_have_text("已选 5 项")
    page.get_by_test_id("bulk-bar").locator("select[name=priority]").select_option("low")
    page.screenshot(path=str(artifacts / "bulk-list-zh-390.png"), full_page=True)
    page.get_by_test_id("bulk-apply").click()

    expect(page.get_by_test_id("bulk-summary")).to_contain_text("已修改 5 项")
    page.screenshot(path=str(artifacts / "bulk-result-zh-390.png"), full_page=True)
    assert set(priorities(app, team["codes"]).values()) == {"low"}
