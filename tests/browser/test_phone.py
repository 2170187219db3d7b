"""The pages an owner opens on a phone (390 × 844, in WeCom or DingTalk): the list as
cards, the item's actions at the top, the board and the schedule scrolling in their own
frame, the calendar as an agenda, the mind map fitted to the screen; and the laptop's
table at 1280."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue, Milestone
from tests import factories
from tests.browser.conftest import eventually

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
LONG_TEXT = "\n\n".join(f"第{n}段：客户经理走访、产品适配与系统改造的说明。" for n in range(40))


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (
            ("zhangwei", "张伟", LEADER),
            ("lina", "李娜", EXEC_LEADER),
            ("wangfang", "王芳", MEMBER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        for name in ("对公业务", "零售业务", "渠道建设", "风险管理", "科技支撑"):
            parent = factories.make_category(task_force.id, name)
            for part in ("客户拓展", "产品创新", "考核激励"):
                factories.make_category(task_force.id, f"{name}·{part}", parent=parent)
        today = clock.today()
        mine = factories.make_issue(
            category,
            "现金管理类产品归集与支付功能上线及分行推广",
            code="KH-001",
            owner_id=ids["wangfang"],
            acknowledged_at=None,
            deadline=today + timedelta(days=3),
            description=LONG_TEXT,
        )
        for n in range(2, 9):
            factories.make_issue(
                category,
                f"第{n}项：对公客户综合服务方案与营销竞赛",
                code=f"KH-{n:03d}",
                owner_id=ids["lina"],
                deadline=today + timedelta(days=n),
                status=("new", "planning", "in_progress", "verifying")[n % 4],
            )
        for n, issue in enumerate(db.session.query(Issue).all()):
            db.session.add(
                Milestone(
                    task_force_id=task_force.id,
                    issue_id=issue.id,
                    title=f"里程碑{n}",
                    starts_on=today - timedelta(days=20),
                    due_on=today + timedelta(days=40 + n),
                )
            )
        db.session.commit()
        ids["issue"] = mine.id
        ids["deadline"] = mine.deadline
        db.session.remove()
    return ids


def log_in(new_page, base_url: str, username: str, viewport=PHONE) -> Page:
    page = new_page(viewport=viewport)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    # The battle map shows before its scripts have run; a click on the menu's toggler
    # before Bootstrap's has would open nothing.
    page.wait_for_load_state("load")
    return page


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_list_is_cards_and_the_owner_acts_at_the_top(
    app, live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "wangfang")
    page.goto(live_server + "/issues")
    cards = page.get_by_test_id("issue-card")
    expect(cards).to_have_count(8)
    expect(page.get_by_test_id("issue-table")).to_be_hidden()
    first = cards.filter(has_text="KH-001")
    expect(first).to_contain_text("王芳")
    expect(first).to_contain_text("未签收")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-list-zh-390.png"), full_page=True)

    first.get_by_role("link").click()
    acknowledge = page.get_by_test_id("acknowledge")
    expect(acknowledge).to_be_in_viewport()
    page.screenshot(path=str(artifacts / "phone-item-zh-390.png"), full_page=True)
    acknowledge.click()
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)

    # The status change and the progress report come before the long description.
    status_form = page.get_by_test_id("status-form")
    progress = page.get_by_test_id("progress-form")
    description_top = page.get_by_role("heading", name="问题描述").bounding_box()["y"]
    assert status_form.bounding_box()["y"] < 1000
    assert progress.bounding_box()["y"] < description_top
    assert page.locator("#milestones").bounding_box()["y"] < description_top
    status_form.locator("select[name=status]").select_option("in_progress")
    status_form.locator("button[type=submit]").click()
    expect(page.locator(".status-in_progress").first).to_be_visible()
    progress = page.get_by_test_id("progress-form")
    progress.locator("textarea[name=note]").fill("已完成需求评审，进入开发")
    progress.locator("input[name=percent]").fill("40")
    progress.locator("button[type=submit]").click()
    expect(page.get_by_test_id("progress-updates")).to_contain_text("已完成需求评审")
    assert no_sideways_scroll(page)

    def reported() -> bool:
        with app.app_context(), unscoped():
            issue = db.session.get(Issue, team["issue"])
            done = issue.status == "in_progress" and issue.percent == 40
            db.session.remove()
        return done

    assert eventually(reported, page)
    page.screenshot(path=str(artifacts / "phone-item-reported-zh-390.png"), full_page=True)


def test_on_a_phone_the_board_schedule_and_calendar_fit(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "lina")

    page.goto(live_server + "/board")
    board = page.get_by_test_id("board")
    expect(board.get_by_test_id("board-card").first).to_be_visible()
    assert no_sideways_scroll(page)
    assert board.evaluate("b => b.scrollWidth > b.clientWidth")  # it scrolls in its frame
    page.screenshot(path=str(artifacts / "phone-board-zh-390.png"), full_page=True)

    page.goto(live_server + "/schedule")
    expect(page.get_by_test_id("schedule-table")).to_be_visible()
    expect(page.locator(".gantt-host svg").first).to_be_attached()
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-schedule-zh-390.png"), full_page=True)

    page.goto(f"{live_server}/calendar?day={team['deadline'].isoformat()}")
    agenda = page.get_by_test_id("calendar-agenda")
    expect(agenda).to_be_visible()
    expect(page.get_by_test_id("calendar")).to_be_hidden()
    expect(agenda).to_contain_text("KH-001")
    expect(agenda.get_by_test_id("agenda-day").first).to_contain_text("周")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-calendar-zh-390.png"), full_page=True)

    page.goto(live_server + "/mindmap")
    host = page.get_by_test_id("mindmap")
    assert eventually(lambda: host.get_attribute("data-ready") == "1", page)
    assert no_sideways_scroll(page)
    fits = """() => {
      const pane = document.querySelector('.jsmind-inner').getBoundingClientRect();
      return [...document.querySelectorAll('jmnode')].every((node) => {
        const box = node.getBoundingClientRect();
        return box.left >= pane.left && box.right <= pane.right
          && box.top >= pane.top && box.bottom <= pane.bottom;
      });
    }"""
    assert page.evaluate(fits)  # the whole map on the screen when it opens
    page.screenshot(path=str(artifacts / "phone-mindmap-zh-390.png"), full_page=True)


def test_a_pinch_zooms_the_mind_map_and_a_finger_pans_it(live_server, new_page, team):
    page = log_in(new_page, live_server, "lina")
    page.goto(live_server + "/mindmap")
    host = page.get_by_test_id("mindmap")
    assert eventually(lambda: host.get_attribute("data-ready") == "1", page)
    box = page.locator(".jsmind-inner").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    zoom = "() => window.getComputedStyle(document.querySelector('jmnodes')).zoom"
    before = float(page.evaluate(zoom))
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": px, "y": py, "id": n} for n, (px, py) in enumerate(points)],
            },
        )

    touch("touchStart", [(x - 20, y), (x + 20, y)])
    for step in range(1, 9):
        touch("touchMove", [(x - 20 - 10 * step, y), (x + 20 + 10 * step, y)])
    touch("touchEnd", [])
    assert eventually(lambda: float(page.evaluate(zoom)) > before + 0.2, page)

    pane = page.locator(".jsmind-inner")
    left = pane.evaluate("p => p.scrollLeft")
    touch("touchStart", [(x, y)])
    for step in range(1, 6):
        touch("touchMove", [(x - 20 * step, y)])
    touch("touchEnd", [])
    assert eventually(lambda: pane.evaluate("p => p.scrollLeft") > left, page)


def test_on_a_laptop_the_list_is_a_table(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "wangfang", viewport=LAPTOP)
    page.goto(live_server + "/issues")
    table = page.get_by_test_id("issue-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(8)
    expect(page.get_by_test_id("issue-card").first).to_be_hidden()
    page.screenshot(path=str(artifacts / "laptop-list-zh-1280.png"), full_page=True)

    page.goto(f"{live_server}/issues/{team['issue']}")
    actions = page.get_by_test_id("issue-actions").bounding_box()
    description = page.get_by_role("heading", name="问题描述").bounding_box()
    assert actions["x"] > description["x"] + 400  # still on the right, beside the text
    page.screenshot(path=str(artifacts / "laptop-item-zh-1280.png"), full_page=True)

    for path, name in (
        ("/board", "board"),
        ("/schedule", "schedule"),
        (f"/calendar?day={team['deadline'].isoformat()}", "calendar"),
        ("/mindmap", "mindmap"),
    ):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(artifacts / f"laptop-{name}-zh-1280.png"), full_page=True)
    expect(page.get_by_test_id("mindmap")).to_have_attribute("data-ready", "1")
    page.goto(f"{live_server}/calendar?day={team['deadline'].isoformat()}")
    expect(page.get_by_test_id("calendar")).to_be_visible()
    expect(page.get_by_test_id("calendar-agenda")).to_be_hidden()
    expect(page.get_by_test_id("calendar").locator("thead th").first).to_have_text("周一")
