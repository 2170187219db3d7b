"""Search on a phone and on a laptop: a member types a word of one of an item's progress
notes into the menu bar's box, finds the note under its item, and opens the item."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.permissions import LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import ProgressUpdate
from tests import factories
from tests.browser.test_phone import LAPTOP, PHONE, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

TITLE = "代发工资客户的理财转化"
NOTE = "已与长春分行对接，信托专项方案下周上线"


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
        item = factories.make_issue(category, TITLE, code="KH-012", owner_id=ids["wangfang"])
        db.session.add(
            ProgressUpdate(
                task_force_id=task_force.id, issue_id=item.id, author_id=ids["wangfang"], note=NOTE
            )
        )
        db.session.commit()
        ids["item"] = item.id
        return ids


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_find_an_item_by_a_word_of_its_progress_note_and_open_it(
    live_server, new_page, team, artifacts, viewport
):
    page = log_in(new_page, live_server, "zhangwei", viewport=viewport)
    if viewport is PHONE:
        page.locator(".navbar-toggler").click()  # the box sits in the collapsed menu
    box = page.get_by_test_id("search-input")
    box.fill("信托")
    box.press("Enter")
    group = page.get_by_test_id("search-group-progress_update")
    expect(group).to_contain_text(f"KH-012 {TITLE}")
    expect(group.locator("mark").first).to_have_text("信托")
    assert no_sideways_scroll(page)
    name = "phone" if viewport is PHONE else "laptop"
    page.screenshot(path=str(artifacts / f"search-{name}.png"), full_page=True)
    group.get_by_test_id("search-link").first.click()
    expect(page).to_have_url(f"{live_server}/issues/{team['item']}")
    expect(page.get_by_text(NOTE).first).to_be_visible()


def test_a_code_in_the_box_opens_the_item(live_server, new_page, team):
    page = log_in(new_page, live_server, "wangfang", viewport=LAPTOP)
    box = page.get_by_test_id("search-input")
    box.fill("kh-012")
    box.press("Enter")
    expect(page).to_have_url(f"{live_server}/issues/{team['item']}")
