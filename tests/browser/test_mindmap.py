"""The mind map in a real browser: import a map, preview, apply, find the nodes on the map."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.permissions import LEADER
from app.core.scope import unscoped
from tests import factories
from tests.browser.test_problem_list import log_in

pytestmark = pytest.mark.browser

MAP = """# 非存AUM攻坚

## 客户端

- 代发客户
  - 代发资金留存率低
  - 代发客户画像缺失

## 渠道端

- 手机银行
  - 理财专区入口深
"""


@pytest.fixture
def leader(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        user = factories.make_user("zhangwei", display_name="张伟")
        factories.make_membership(user, task_force, LEADER)
        factories.make_category(task_force.id, "客户端", prefix="KH")
        return {"task_force": task_force.id}


def test_import_a_map_and_see_it_on_the_mind_map(
    app, live_server, new_page, leader, tmp_path, artifacts
):
    page = log_in(new_page, live_server, "zhangwei")
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    page.goto(live_server + "/mindmap")
    expect(page.locator("#mindmap jmnode", has_text="客户端")).to_be_visible()

    path = tmp_path / "框架.md"
    path.write_text(MAP, encoding="utf-8")
    page.goto(live_server + "/mindmap/import")
    page.locator("input[type=file]").set_input_files(str(path))
    page.locator("[data-testid=map-upload] button[type=submit]").click()

    rows = page.get_by_test_id("preview-rows")
    expect(rows).to_contain_text("代发资金留存率低")
    expect(page.get_by_test_id("preview-summary")).to_contain_text("3")
    page.get_by_test_id("apply-import").click()

    expect(page).to_have_url(live_server + "/mindmap")
    host = page.get_by_test_id("mindmap")
    expect(host.locator("jmnode", has_text="渠道端")).to_be_visible()
    expect(host.locator("jmnode", has_text="手机银行")).to_be_visible()
    dai_fa = host.locator("jmnode", has_text="代发客户").first
    expect(dai_fa).to_contain_text("2")  # two items filed under it
    # A leaf unfolds into its items.
    dai_fa.locator("[data-unfold]").click()
    expect(host.locator("jmnode.mm-issue", has_text="代发资金留存率低")).to_be_visible()

    # An editor adds a child from the map.
    page.once("dialog", lambda dialog: dialog.accept("存量客户"))
    host.locator("jmnode", has_text="渠道端").click()
    page.locator("[data-edit=add]").click()
    expect(host.locator("jmnode", has_text="存量客户")).to_be_visible()

    # The picture of the map is drawn from the laid-out nodes.
    svg = page.evaluate("() => window.gongjianMindmap.drawing().svg")
    assert "渠道端" in svg and svg.startswith("<svg")
    for kind in ("svg", "png"):
        page.locator("button.dropdown-toggle", has_text="导出").click()
        with page.expect_download() as download:
            page.locator(f"[data-download={kind}]").click()
        saved = tmp_path / f"map.{kind}"
        download.value.save_as(saved)
        head = saved.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if kind == "png" else head.startswith(b"<svg")
    page.screenshot(path=str(artifacts / "mindmap.png"), full_page=True)
    assert [e for e in console_errors if "Content Security Policy" in e] == []
