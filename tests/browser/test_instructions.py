"""The leader's instruction (领导批示) in a real browser: the leader writes one on a major
item from a phone (390 px wide), the item turns red on the leader's board; the owner opens
it from the message, marks it read and answers how it is carried out; the board turns
green again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core import clock
from app.core.models import Notification
from app.core.permissions import LEADER, MEMBER
from app.core.scope import unscoped
from app.decisions.instructions import Instruction
from app.extensions import db
from tests import factories

from .conftest import eventually

pytestmark = pytest.mark.browser

TODAY = date(2024, 6, 3)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def major_item(app) -> dict:
    clock.set_today(TODAY)
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (("zhangwei", "张伟", LEADER), ("wangfang", "王芳", MEMBER)):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "产品端", prefix="CP")
        issue = factories.make_issue(
            category,
            "私募产品准入流程过长",
            code="CP-001",
            owner_id=ids["wangfang"],
            major=True,
            deadline=TODAY + timedelta(days=40),
        )
        issue.last_progress_at = datetime(2024, 6, 1, tzinfo=UTC)
        db.session.commit()
        ids["issue"] = issue.id
        db.session.remove()
    return ids


def _log_in(new_page, base_url: str, username: str, **options) -> Page:
    page = new_page(**options)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _board_light(page: Page, base_url: str) -> str:
    page.goto(base_url + "/supervision")
    row = page.get_by_test_id("supervision-board").locator("tr", has_text="CP-001")
    classes = row.locator(".light-dot").get_attribute("class") or ""
    return next(c.removeprefix("light-") for c in classes.split() if c != "light-dot")


def test_the_leader_instructs_from_a_phone_the_owner_answers_the_board_turns_green(
    app, live_server, new_page, major_item, artifacts
):
    issue_url = f"{live_server}/issues/{major_item['issue']}"
    leader = _log_in(new_page, live_server, "zhangwei", viewport=PHONE, is_mobile=True)
    assert _board_light(leader, live_server) == "green"

    # The leader writes the instruction from the phone, at the top of the item.
    leader.goto(issue_url)
    block = leader.get_by_test_id("instructions")
    expect(block).to_be_visible()
    block.get_by_test_id("instruction-new").click()
    block.get_by_test_id("instruction-text").fill(
        "请**本周五前**报送准入流程压缩方案，需协调的直接报我。"
    )
    block.get_by_test_id("instruction-submit").click()
    written = leader.get_by_test_id("instruction")
    expect(written).to_contain_text("本周五前")
    expect(written.get_by_test_id("instruction-state")).to_contain_text("未阅")
    width = leader.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone: {width}px"
    leader.screenshot(path=str(artifacts / "instruction-phone-written.png"), full_page=False)
    assert _board_light(leader, live_server) == "red"
    expect(leader.get_by_test_id("instruction-waiting")).to_be_visible()

    # The owner follows the message's link, marks it read, and answers.
    with app.app_context(), unscoped():
        link = db.session.scalar(
            select(Notification.link).where(
                Notification.recipient_id == major_item["wangfang"],
                Notification.kind == "instruction",
            )
        )
    assert link and "#instruction-" in link
    owner = _log_in(new_page, live_server, "wangfang")
    owner.goto(live_server + link)
    item = owner.get_by_test_id("instruction")
    item.get_by_test_id("instruction-read").click()
    item = owner.get_by_test_id("instruction")
    expect(item.get_by_test_id("instruction-state")).to_contain_text("已阅未答复")
    item.get_by_test_id("instruction-answer-text").fill("已梳理准入环节，6月7日前报送压缩方案。")
    item.get_by_test_id("instruction-answer-submit").click()
    expect(owner.get_by_test_id("instruction-answer")).to_contain_text("6月7日前报送")
    expect(owner.get_by_test_id("instruction-state")).to_contain_text("已答复")

    def answered() -> bool:
        with app.app_context(), unscoped():
            found = db.session.scalars(select(Instruction)).one()
            db.session.remove()
            return found.answered_at is not None

    assert eventually(answered)

    # The leader sees the answer on the phone, and the board is green again.
    leader.goto(issue_url)
    expect(leader.get_by_test_id("instruction-answer")).to_contain_text("6月7日前报送")
    leader.screenshot(path=str(artifacts / "instruction-phone-answered.png"), full_page=False)
    assert _board_light(leader, live_server) == "green"
