"""On a phone (390 px): a member writes a comment, mentions a colleague through the
picker by pinyin, and the colleague is told; the page never scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core import clock
from app.core.models import Notification
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.discussion.models import Comment
from app.extensions import db
from tests import factories
from tests.browser.conftest import eventually
from tests.browser.test_phone import LAPTOP, PHONE, log_in, no_sideways_scroll

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
            ("liuyang", "刘洋", MEMBER),
            ("liuli", "柳丽", MEMBER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        item = factories.make_issue(
            category,
            "现金管理类产品归集与支付功能上线及分行推广",
            code="KH-001",
            owner_id=ids["wangfang"],
            deadline=clock.today() + timedelta(days=10),
        )
        ids["issue"] = item.id
        db.session.remove()
    return ids


def test_a_comment_with_a_mention_picked_by_pinyin_on_a_phone(
    app, live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "wangfang", viewport=PHONE)
    page.goto(f"{live_server}/issues/{team['issue']}")
    box = page.locator("#comment-body")
    box.scroll_into_view_if_needed()
    box.click()
    box.press_sequentially("请 @liu")
    options = page.locator(".mention-option")
    expect(options.first).to_be_visible()
    expect(options).to_have_count(2)  # 刘洋 and 柳丽: both "liu"
    box.press_sequentially("y")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("刘洋")
    page.screenshot(path=str(artifacts / "phone-mention-picker-zh-390.png"), full_page=True)
    options.first.click()
    expect(box).to_have_value("请 @刘洋 ")
    box.press_sequentially("确认归集口径")
    assert no_sideways_scroll(page)
    page.get_by_test_id("post-comment").click()

    comment = page.get_by_test_id("comment").last
    expect(comment).to_contain_text("请 @刘洋 确认归集口径")
    assert "#comment-" in page.url
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-discussion-zh-390.png"), full_page=True)

    def told() -> bool:
        with app.app_context(), unscoped():
            found = db.session.scalar(
                select(Notification).where(
                    Notification.recipient_id == team["liuyang"], Notification.kind == "mention"
                )
            )
            db.session.remove()
            return found is not None

    assert eventually(told)

    # The initials find the same person; on a laptop too.
    wide = log_in(new_page, live_server, "zhangwei", viewport=LAPTOP)
    wide.goto(f"{live_server}/issues/{team['issue']}")
    area = wide.locator("#comment-body")
    area.click()
    area.press_sequentially("@ly")
    expect(wide.locator(".mention-option")).to_have_count(1)
    area.press("Enter")
    expect(area).to_have_value("@刘洋 ")
    wide.screenshot(path=str(artifacts / "laptop-discussion-zh-1280.png"), full_page=True)
    with app.app_context(), unscoped():
        assert db.session.scalar(select(Comment.body)) == "请 @刘洋 确认归集口径"
        db.session.remove()
