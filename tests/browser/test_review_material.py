"""The review material in a real browser: on a phone the leader asks for the quarter's
pack and last month's bulletin, the worker builds them while the page waits, and both
download as PDF and as a Word file."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from app.core import clock, jobs
from app.core.permissions import LEADER
from app.core.quarters import Month
from app.core.scope import unscoped
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app) -> None:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        user = factories.make_user("liming", display_name="李明远")
        factories.make_membership(user, task_force, LEADER)
        category = factories.make_category(task_force.id, "产品")
        factories.make_issue(category, owner_id=user.id, title="代销产品准入流程过长")


def _log_in(new_page, base_url: str):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill("liming")
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    return page


def _word_headings(data: bytes) -> list[str]:
    document = Document(BytesIO(data))
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def test_the_pack_and_the_bulletin_are_asked_for_built_and_downloaded_on_a_phone(
    app, live_server, new_page, team, artifacts
):
    page = _log_in(new_page, live_server)
    page.goto(f"{live_server}/reports/")
    page.get_by_role("button", name="生成").first.click()
    queued = page.locator("[data-testid=packs] tr[data-status=queued]")
    expect(queued).to_have_count(1)
    with app.app_context():
        last_month = str(Month.of(clock.today()).previous())
    page.locator("#bulletin-month").select_option(last_month)
    page.get_by_test_id("generate-bulletin").click()
    expect(page.locator("[data-testid=bulletins] tr[data-status=queued]")).to_have_count(1)
    assert jobs.run_pending(app, "browser-worker") == 2
    # The rows poll until the worker is done; then they offer both files.
    expect(page.locator("[data-testid=packs] tr[data-status=done]")).to_have_count(1)
    expect(page.locator("[data-testid=bulletins] tr[data-status=done]")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing wider than the phone
    page.screenshot(path=str(artifacts / "review-material-phone.png"), full_page=True)

    with page.expect_download() as pdf:
        page.locator("[data-testid^=download-]").first.click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as word:
        page.locator("[data-testid^=download-docx-]").first.click()
    assert word.value.suggested_filename.startswith("季度复盘材料-")
    headings = _word_headings(Path(word.value.path()).read_bytes())
    assert "附件一：数据摘要" in headings, headings
    with page.expect_download() as bulletin:
        page.locator("[data-testid^=bulletin-docx-]").first.click()
    assert bulletin.value.suggested_filename.endswith(".docx")
    assert "本月办结事项" in _word_headings(Path(bulletin.value.path()).read_bytes())
