"""A leader's first visit, in a real browser: log in, switch language, read the roster."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from app.core.permissions import EXEC_LEADER, LEADER, MEMBER, TEMP_MEMBER
from app.core.scope import unscoped
from tests import factories

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@dataclass
class Team:
    task_force_name: str
    leader_username: str
    member_names: list[str]  # display names, leader first


@pytest.fixture
def team(app) -> Team:
    """A task force with a leader and three others, all with Chinese names."""
    people = [
        ("zhangwei", "张伟", LEADER),
        ("lina", "李娜", EXEC_LEADER),
        ("wangfang", "王芳", MEMBER),
        ("liuyang", "刘洋", TEMP_MEMBER),
    ]
    with app.app_context(), unscoped():
        unit = factories.make_org_unit("长春分行")
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        for username, display_name, role in people:
            user = factories.make_user(username, display_name=display_name, org_unit_id=unit.id)
            factories.make_membership(user, task_force, role)
    return Team(
        task_force_name="非存AUM攻坚克难小组",
        leader_username="zhangwei",
        member_names=[display_name for _, display_name, _ in people],
    )


def log_in(page: Page, base_url: str, username: str) -> None:
    """Open the site and log in through the form it redirects to (in Chinese)."""
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login\b"))
    page.get_by_label("用户名或邮箱").fill(username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def choose_language(page: Page, testid: str) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id(testid).click()


def test_leader_logs_in_switches_language_and_reads_the_roster(
    live_server, new_page, team, artifacts
):
    page = new_page()
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    navbar = page.get_by_role("navigation")

    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login\b"))
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()

    log_in(page, live_server, team.leader_username)
    expect(page.get_by_test_id("task-force-name")).to_have_text(team.task_force_name)
    expect(navbar.get_by_role("link", name="作战图", exact=True)).to_be_visible()

    choose_language(page, "lang-en")
    expect(navbar.get_by_role("link", name="Roster", exact=True)).to_be_visible()
    expect(navbar.get_by_role("link", name="Battle map", exact=True)).to_be_visible()

    navbar.get_by_role("link", name="Roster", exact=True).click()
    expect(page).to_have_url(re.compile(r"/roster$"))
    roster = page.get_by_test_id("roster-current")
    for name in team.member_names:
        expect(roster).to_contain_text(name)
    expect(roster.get_by_role("columnheader", name="Name")).to_be_visible()

    choose_language(page, "lang-zh")
    expect(page).to_have_url(re.compile(r"/roster$"))
    expect(navbar.get_by_role("link", name="小组成员", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("小组成员")
    for name in team.member_names:
        expect(roster).to_contain_text(name)

    page.screenshot(path=str(artifacts / "roster.png"), full_page=True)
    blocked = [text for text in console_errors if "Content Security Policy" in text]
    assert blocked == []


def test_on_a_phone_the_menu_folds_into_the_toggler(live_server, new_page, team):
    page = new_page(viewport=PHONE)
    log_in(page, live_server, team.leader_username)
    expect(page.get_by_test_id("task-force-name")).to_have_text(team.task_force_name)

    toggler = page.get_by_role("button", name="菜单")
    roster_link = page.get_by_role("navigation").get_by_role("link", name="小组成员", exact=True)
    expect(toggler).to_be_visible()
    expect(roster_link).to_be_hidden()

    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(roster_link).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_be_visible()
