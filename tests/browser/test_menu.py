"""The menu bar in a real browser: one line from 1280 px up in Chinese and English, the
account menu and log-out within reach, the menu button on a phone; and the searchable
person picker on an item's form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.core.permissions import ADMIN, EXEC_LEADER, LEADER, MEMBER, STAFF
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from tests import factories
from tests.browser.conftest import eventually

pytestmark = pytest.mark.browser

PEOPLE = (
    ("zhaojing", "赵静", LEADER),
    ("chenlei", "陈磊", EXEC_LEADER),
    ("wangfang", "王芳", MEMBER),
    ("liuyang", "刘洋", MEMBER),
    ("limingyuan", "李明远", MEMBER),
)


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        # A long name and a long org unit: the bar must still fit.
        task_force = factories.make_task_force("非存AUM突破千亿攻坚克难小组")
        unit = factories.make_org_unit("零售业务部")
        ids = {}
        for username, name, role in PEOPLE:
            # The executive leader administers too: the widest bar there is.
            account = ADMIN if role == EXEC_LEADER else STAFF
            user = factories.make_user(username, account, display_name=name, org_unit_id=unit.id)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        ids["issue"] = factories.make_issue(category, "手机银行登录慢", owner_id=ids["wangfang"]).id
    return ids


def log_in(new_page, base_url: str, username: str, **options) -> Page:
    page = new_page(**options)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("nav.app-navbar")).to_be_visible()
    page.wait_for_load_state("load")  # Bootstrap's menu works once its script has run
    return page


def _one_line(page: Page) -> None:
    nav = page.locator("nav.app-navbar").bounding_box()
    link = page.locator("nav.app-navbar .navbar-nav .nav-link").first.bounding_box()
    brand = page.locator("nav.app-navbar .navbar-brand").bounding_box()
    assert nav and link and brand
    tallest = max(link["height"], brand["height"])
    assert nav["height"] < tallest * 1.6 + 16, (nav, link)
    links = page.locator("nav.app-navbar .navbar-nav > .nav-item > .nav-link")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
    assert max(tops) - min(tops) <= 2, tops


def _speaks(app, user_id: int, locale: str) -> None:
    with app.app_context(), unscoped():
        db.session.get(User, user_id).locale = locale
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_bar_is_one_line_and_log_out_within_reach(
    app, live_server, new_page, team, artifacts, locale
):
    _speaks(app, team["chenlei"], locale)
    page = log_in(new_page, live_server, "chenlei", viewport={"width": 1280, "height": 800})
    expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en" else "zh-CN")
    for width in (1024, 1280, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server + "/my")
        page.screenshot(path=str(artifacts / f"menu-{locale}-{width}.png"))
        if width >= 1280:
            _one_line(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    # Only "My items" is lit on its page, inside the lit "Issues" group.
    group = page.get_by_test_id("nav-group-issues")
    expect(group.locator(".nav-link.active")).to_have_count(1)
    expect(group.locator(".dropdown-item.active")).to_have_count(1)
    expect(group.locator(".dropdown-item.active")).to_have_attribute("href", "/my")
    toggle = page.get_by_test_id("user-menu").bounding_box()
    assert toggle and toggle["x"] + toggle["width"] <= 1280, toggle  # not off the screen
    page.get_by_test_id("user-menu").click()
    log_out = page.locator("form[action='/logout'] button")
    expect(log_out).to_be_visible()
    box = log_out.bounding_box()
    assert box and box["x"] + box["width"] <= 1280
    log_out.click()
    expect(page.locator("input[name=login]")).to_be_visible()


def test_on_a_phone_the_menu_button_opens_the_groups(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "chenlei", viewport={"width": 390, "height": 844})
    page.goto(live_server + "/issues")
    links = page.locator("#main-nav")
    expect(links).to_be_hidden()
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav.show:not(.collapsing)")).to_be_visible()
    page.get_by_test_id("nav-group-meetings").locator(".dropdown-toggle").click()
    calendar = page.get_by_test_id("nav-group-meetings").locator(
        "a.dropdown-item[href='/calendar']"
    )
    expect(calendar).to_be_visible()
    page.screenshot(path=str(artifacts / "menu-zh-CN-390.png"))
    calendar.click()
    expect(page).to_have_url(live_server + "/calendar")


def _collaborators(app, issue_id: int) -> set[str]:
    with app.app_context(), unscoped():
        names = {user.display_name for user in db.session.get(Issue, issue_id).collaborators}
        db.session.remove()
    return names


def test_the_picker_filters_and_keeps_two_collaborators(
    app, live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "chenlei", viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/issues/{team['issue']}/edit")
    picker = page.locator(".picker")
    expect(picker).to_be_visible()
    expect(page.locator("select[name=collaborator_ids]")).to_be_hidden()
    options = picker.locator(".picker-option")
    # Pinyin order, name · org unit.
    expect(options.first).to_have_text("陈磊 · 零售业务部")
    picker.locator("input[type=search]").fill("李明")
    expect(options.filter(visible=True)).to_have_count(1)
    picker.get_by_text("李明远 · 零售业务部").click()
    picker.locator("input[type=search]").fill("刘")
    picker.get_by_label("刘洋 · 零售业务部").press("Space")
    expect(picker.locator(".picker-chip")).to_have_count(2)
    page.screenshot(path=str(artifacts / "picker-zh-CN-1280.png"))
    page.locator("main button[type=submit]", has_text="保存").click()
    assert eventually(lambda: _collaborators(app, team["issue"]) == {"李明远", "刘洋"}, page)
