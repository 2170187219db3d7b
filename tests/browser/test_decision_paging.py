"""A person pages through the decision register and the executive leader's board in a real
browser, and the filter chosen stays chosen on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.decisions.test_paging import _exec_items, _raise
from tests.factories import PASSWORD
from tests.issues.conftest import _on_a_fixed_day  # noqa: F401  (the fixed day, autouse)

pytestmark = pytest.mark.browser


def _log_in(new_page, base_url: str, username: str):
    page = new_page()
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    return page


def _questions(page) -> list[str]:
    return (
        page.get_by_test_id("register-table").locator("tbody tr td:nth-child(3)").all_inner_texts()
    )


def test_paging_through_the_register_keeps_the_filter(
    app, world, look, live_server, new_page, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    with look():
        _raise(
            world,
            [("decision", f"决策{i}") for i in range(1, 6)] + [("communication", "沟通")],
        )
    page = _log_in(new_page, live_server, "leader")
    page.goto(live_server + "/decisions")
    filters = page.get_by_test_id("register-filters")
    filters.locator("select[name=kind]").select_option("decision")
    filters.locator("input[name=q]").fill("决策")
    filters.get_by_role("button").click()
    expect(page.get_by_test_id("register-total")).to_have_text("共 5 条提级事项")
    assert _questions(page) == ["决策5", "决策4"]

    pager = page.get_by_test_id("register-pager")
    pager.get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"page=2"))
    assert _questions(page) == ["决策3", "决策2"]
    expect(page.locator("select[name=kind]")).to_have_value("decision")
    expect(filters.locator("input[name=q]")).to_have_value("决策")

    page.get_by_test_id("register-pager").get_by_role("link", name="下一页").click()
    assert _questions(page) == ["决策1"]
    expect(page.get_by_test_id("register-total")).to_have_text("共 5 条提级事项")

    page.get_by_test_id("register-pager").get_by_role("link", name="上一页").click()
    assert _questions(page) == ["决策3", "决策2"]


def test_paging_through_the_executive_leaders_board(
    app, world, look, live_server, new_page, monkeypatch
):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    with look():
        _exec_items(world)
    page = _log_in(new_page, live_server, "exec_leader")
    page.goto(live_server + "/supervision")
    page.get_by_role("link", name="执行组长督导板").click()
    expect(page.get_by_test_id("supervision-total")).to_have_text("共 5 项")
    board = page.get_by_test_id("supervision-board")
    expect(board.locator("tbody tr")).to_have_count(2)
    page.get_by_test_id("supervision-pager").get_by_role("link", name="3", exact=True).click()
    expect(page).to_have_url(re.compile(r"board=exec.*page=3|page=3.*board=exec"))
    expect(board.locator("tbody tr")).to_have_count(1)
    expect(board).to_contain_text("未签收")
    # Nudging from the last page comes back to it.
    board.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"page=3"))
    expect(board.get_by_test_id("nudges")).to_have_text("1")
