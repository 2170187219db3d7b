"""The battle map's panel of units behind pace (目标分解) on a phone (390 × 844): long
names of units and figures wrap inside the card, nothing scrolls sideways."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from app.core import clock
from app.core.permissions import LEADER
from app.core.scope import task_force_scope, unscoped
from app.extensions import db
from app.kpis.models import Kpi
from app.kpis.service import breakdown as plan
from tests import factories
from tests.browser.test_phone import LAPTOP, PHONE, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app) -> dict:
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        leader = factories.make_user("zhangwei", display_name="张伟")
        factories.make_membership(leader, task_force, LEADER)
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        factories.make_issue(category, "现金管理类产品归集与支付功能上线", owner_id=leader.id)
        units = [
            factories.make_org_unit(name).id
            for name in ("长春分行", "四平分行营业部（含双辽、梨树、伊通支行）", "通化分行")
        ]
        today = clock.today()
        with task_force_scope(task_force.id):
            kpi = Kpi(
                task_force_id=task_force.id,
                name="非存AUM（含理财、基金、保险、信托及贵金属代销）余额",
                unit="yi_yuan",
                direction="up",
                baseline=Decimal(862),
                baseline_on=today - timedelta(days=200),
                target=Decimal(1000),
                target_on=today + timedelta(days=200),
            )
            db.session.add(kpi)
            db.session.flush()
            plan.set_breakdown(
                leader, kpi, plan.BreakdownInput("quarter", "sum", Decimal(5), units), kpi.version
            )
            ended = [p.end for p in plan.plan_periods(kpi) if p.end <= today][-1]
            plan.save_targets(leader, kpi, {(unit, ended): Decimal(100) for unit in units})
            plan.save_readings(
                leader,
                kpi,
                {
                    (unit, ended): plan.ReadingValue(Decimal(value))
                    for unit, value in zip(units, (101, 62.5, 97), strict=True)
                },
            )
        db.session.commit()
        db.session.remove()
    return {"units": units}


def test_on_a_phone_the_units_behind_pace_fit(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "zhangwei", viewport=PHONE)

    panel = page.get_by_test_id("targets-by-unit")
    expect(panel).to_be_visible()
    expect(panel.get_by_test_id("units-behind").locator("li")).to_have_count(2)
    expect(panel).to_contain_text("四平分行营业部")
    expect(panel).to_contain_text("62.5%")
    assert no_sideways_scroll(page)
    assert panel.evaluate("p => p.scrollWidth <= p.clientWidth")
    panel.screenshot(path=str(artifacts / "phone-targets-by-unit-zh-390.png"))


def test_a_leader_sets_a_units_target_on_a_phone_and_a_bad_cell_loses_nothing(
    live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "zhangwei", viewport=PHONE)
    page.goto(live_server + "/kpis")
    page.get_by_role("link", name="目标分解").first.click()
    matrix = page.get_by_test_id("breakdown-matrix")
    expect(matrix).to_be_visible()
    expect(matrix.locator("tbody tr")).to_have_count(3)
    assert no_sideways_scroll(page)  # the matrix scrolls inside its card
    page.screenshot(path=str(artifacts / "phone-breakdown-zh-390.png"), full_page=True)

    page.get_by_role("link", name="设定目标").click()
    grid = page.get_by_test_id("breakdown-grid")
    cells = grid.locator("tbody tr").first.locator("input.form-control")
    last = cells.last  # 长春分行's target for the last period
    last.fill("一百二")
    cells.first.fill("90")  # its baseline, typed in the same save
    grid.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("grid-message")).to_contain_text("均未保存")
    expect(page.get_by_test_id("grid-message")).to_contain_text("长春分行")
    expect(last).to_have_value("一百二")
    expect(cells.first).to_have_value("90")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts / "phone-breakdown-grid-refused-zh-390.png"), full_page=True)

    last.fill("120")
    grid.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    first_row = page.get_by_test_id("breakdown-matrix").locator("tbody tr").first
    expect(first_row).to_contain_text("120")
    expect(page.get_by_test_id("target-history")).to_contain_text("张伟 设定 长春分行")


def test_the_breakdown_reads_in_english_on_a_laptop(live_server, new_page, team, artifacts):
    page = log_in(new_page, live_server, "zhangwei", viewport=LAPTOP)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    page.request.post(
        live_server + "/locale", form={"locale": "en", "next": "/", "csrf_token": token}
    )
    page.goto(live_server + "/kpis")
    page.get_by_role("link", name="By unit").first.click()
    expect(page.get_by_test_id("ranking")).to_contain_text("Attainment")
    expect(page.get_by_test_id("behind-count")).to_contain_text("behind pace")
    page.screenshot(path=str(artifacts / "laptop-breakdown-en.png"), full_page=True)
