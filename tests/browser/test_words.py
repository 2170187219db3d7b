"""One word per field on the item's page, at a desk and on a phone; the picker's chip
says 移除 (take off the list), not 删除 (delete)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_menu import log_in, team  # noqa: F401  (team is a fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_item_page_names_owner_deadline_and_lead_unit_one_way(
    live_server,
    new_page,
    team,  # noqa: F811
    artifacts,
    width,
):
    page = log_in(new_page, live_server, "chenlei", viewport={"width": width, "height": 900})
    page.goto(f"{live_server}/issues/{team['issue']}")
    terms = page.locator("dt")
    for term in ("责任人", "完成时限", "牵头部门"):
        expect(terms.filter(has_text=term)).to_have_count(1)
    expect(terms.filter(has_text="负责人")).to_have_count(0)
    page.screenshot(path=str(artifacts / f"words-item-zh-CN-{width}.png"), full_page=True)


def test_the_pickers_chip_is_removed_with_yichu(live_server, new_page, team, artifacts):  # noqa: F811
    page = log_in(new_page, live_server, "chenlei", viewport={"width": 390, "height": 900})
    page.goto(f"{live_server}/issues/{team['issue']}/edit")
    picker = page.locator(".picker")
    picker.locator("input[type=search]").fill("刘")
    picker.get_by_text("刘洋 · 零售业务部").click()
    chip = picker.locator(".picker-chip")
    expect(chip).to_have_count(1)
    remove = chip.get_by_role("button", name="移除 刘洋 · 零售业务部")
    expect(remove).to_be_visible()
    page.screenshot(path=str(artifacts / "words-picker-zh-CN-390.png"))
    remove.click()
    expect(chip).to_have_count(0)
