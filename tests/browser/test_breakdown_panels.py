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
from tests.browser.test_phone import PHONE, log_in, no_sideways_scroll

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
