"""A pilot in a real browser: created, run, measured, reviewed, decided, rolled out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (
            ("liming", "李明远", LEADER),
            ("zhanghui", "张慧", EXEC_LEADER),
            ("sunhao", "孙浩", MEMBER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        branch = factories.make_org_unit("长春分行")
        for name in ("长春分行私人银行中心",):
            ids[name] = factories.make_org_unit(name, kind="sub_branch", parent=branch).id
        for name in ("吉林分行", "延边分行", "四平分行"):
            ids[name] = factories.make_org_unit(name).id
    return ids


def log_in(new_page, base_url: str, username: str):
    page = new_page()
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    return page


def test_a_pilot_from_creation_to_partial_rollout(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "liming")
    page.goto(live_server + "/pilots")
    page.get_by_test_id("new-pilot").click()
    form = page.get_by_test_id("pilot-form")
    form.locator("#name").fill("长春分行私人银行中心改革")
    form.locator("#measure").fill("私行中心由销售支持转为独立客户经营")
    form.locator("#owner_id").select_option(str(team["sunhao"]))
    form.locator("#unit_ids").select_option(str(team["长春分行私人银行中心"]))
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("pilot-header")).to_contain_text("长春分行私人银行中心改革")
    expect(page.get_by_test_id("pilot-header")).to_contain_text("计划中")

    page.get_by_test_id("move-running").click()
    expect(page.get_by_test_id("pilot-header")).to_contain_text("试点中")

    # Objectives, then the measured result.
    objective = page.get_by_test_id("objective-form")
    objective.locator("#title").fill("私行中心管户AUM")
    objective.locator("#metric").fill("亿元")
    objective.locator("#baseline").fill("118")
    objective.locator("#target").fill("140")
    objective.get_by_role("button", name="添加").click()
    row = page.get_by_test_id("objectives").locator("tr", has_text="私行中心管户AUM")
    row.locator("input[name=actual]").fill("146")
    row.get_by_role("button", name="记录").click()
    expect(page.get_by_test_id("objectives")).to_contain_text("146")

    # The review, then the decision.
    page.get_by_test_id("move-reviewing").click()
    review = page.get_by_test_id("review-form")
    review.locator("#what_worked").fill("私行顾问分层管户，管户AUM明显增长")
    review.locator("#lessons").fill("先定职能、再调架构、后配队伍")
    review.get_by_role("button", name="保存复盘").click()
    expect(page.get_by_test_id("reviewed-by")).to_contain_text("李明远")
    expect(page.locator("#lessons")).to_have_value("先定职能、再调架构、后配队伍")
    decision = page.get_by_test_id("decision-form")
    decision.locator("#outcome").select_option("roll_out")
    decision.locator("#rationale").fill("试点目标达成，向其他分行复制推广")
    decision.get_by_role("button", name="记录决策").click()
    expect(page.get_by_test_id("decision")).to_contain_text("复制推广")

    # The rollout plan, three branches.
    plan = page.get_by_test_id("plan-form")
    plan.locator("#unit_ids").select_option(
        [str(team["吉林分行"]), str(team["延边分行"]), str(team["四平分行"])]
    )
    plan.get_by_role("button", name="加入推广计划").click()
    page.get_by_test_id("move-rolling_out").click()
    expect(page.get_by_test_id("pilot-header")).to_contain_text("推广中")
    coverage = page.locator("#rollout").get_by_test_id("coverage")
    expect(coverage).to_contain_text("0/3 · 0%")

    for branch, shown in (("吉林分行", "1/3 · 33%"), ("延边分行", "2/3 · 67%")):
        task = page.get_by_test_id(f"rollout-{branch}")
        task.locator("select[name=status]").select_option("done")
        task.get_by_role("button", name="保存").click()
        expect(page.locator("#rollout").get_by_test_id("coverage")).to_contain_text(shown)
    expect(page.get_by_test_id("coverage-history")).to_contain_text("2/3")

    page.goto(live_server + "/pilots/matrix")
    matrix = page.get_by_test_id("matrix")
    expect(matrix).to_contain_text("试点机构")
    expect(matrix.locator("td.matrix-done")).to_have_count(2)
    expect(matrix.locator("td.matrix-not_started")).to_have_count(1)
    page.screenshot(path=str(artifacts / "pilot-matrix.png"), full_page=True)
