"""Saved views (视图) in a real browser: a leader saves the current filter as a shared
view from the list's menu, on a laptop; a member opens it from the menu on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core.permissions import LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.saved_view_models import SavedView
from tests import factories
from tests.browser.conftest import eventually

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {"task_force": task_force.id}
        for username, name, role in (("zhangwei", "张伟", LEADER), ("wangfang", "王芳", MEMBER)):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        for title in ("理财产品上架慢", "代发客户流失", "信托产品准入"):
            factories.make_issue(category, title, owner_id=ids["wangfang"])
    return ids


def _log_in(new_page, base_url: str, username: str, **options):
    page = new_page(**options)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _shared_view(app):
    with app.app_context(), unscoped():
        view = db.session.scalar(select(SavedView).where(SavedView.shared.is_(True)))
        db.session.remove()
        return view and (view.id, view.name, view.query)


def test_a_leader_shares_a_view_and_a_member_opens_it_on_a_phone(
    app, live_server, new_page, team, artifacts
):
    leader = _log_in(new_page, live_server, "zhangwei", viewport={"width": 1280, "height": 900})
    leader.goto(live_server + "/issues?q=理财")
    expect(leader.get_by_test_id("issue-total")).to_contain_text("1")
    leader.get_by_test_id("saved-views-toggle").click()
    leader.get_by_test_id("save-view-open").click()
    form = leader.get_by_test_id("save-view-form")
    form.locator("input[name=name]").fill("理财类事项")
    form.locator("input[name=shared]").check()
    leader.get_by_test_id("save-view-submit").click()
    assert eventually(lambda: _shared_view(app) is not None, leader)
    view_id, name, query = _shared_view(app)
    assert (name, query) == ("理财类事项", "q=%E7%90%86%E8%B4%A2")
    expect(leader.get_by_test_id("saved-views-toggle")).to_contain_text("理财类事项")
    leader.get_by_test_id("saved-views-toggle").click()
    leader.screenshot(path=str(artifacts / "saved-views-1280.png"))

    member = _log_in(new_page, live_server, "wangfang", viewport=PHONE, is_mobile=True)
    member.goto(live_server + "/issues")
    expect(member.get_by_test_id("issue-total")).to_contain_text("3")
    member.get_by_test_id("saved-views-toggle").click()
    menu = member.get_by_test_id("saved-views-menu")
    expect(menu.get_by_test_id("shared-view")).to_have_text("理财类事项")
    member.screenshot(path=str(artifacts / "saved-views-390.png"))
    menu.get_by_test_id("shared-view").click()
    member.wait_for_url(f"**/issues?*view={view_id}")
    expect(member.get_by_test_id("issue-total")).to_contain_text("1")
    expect(member.get_by_test_id("issue-cards")).to_contain_text("理财产品上架慢")
    # The member has no way to share.
    member.get_by_test_id("saved-views-toggle").click()
    member.get_by_test_id("save-view-open").click()
    expect(member.get_by_test_id("save-view-form").locator("input[name=shared]")).to_have_count(0)
    # The page of views: the member may make the shared view their default, not delete it.
    member.goto(live_server + "/issues/views")
    row = member.get_by_test_id("shared-views").get_by_test_id("view-row")
    expect(row.get_by_test_id("delete-view")).to_have_count(0)
    row.get_by_test_id("make-default").click()
    member.goto(live_server + "/issues")
    member.wait_for_url(f"**/issues?*view={view_id}")
    expect(member.get_by_test_id("issue-total")).to_contain_text("1")
    member.goto(live_server + "/issues/views")
    member.screenshot(path=str(artifacts / "saved-views-page-390.png"), full_page=True)
