"""Escalations in a real browser: the owner raises one on a blocked item from its page,
the executive leader decides it from the queue, and the item is unblocked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Issue
from tests import factories

from .test_problem_list import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def blocked_item(app) -> dict:
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
        category = factories.make_category(task_force.id, "产品端", prefix="CP")
        issue = factories.make_issue(
            category,
            "私募产品准入流程过长",
            code="CP-001",
            owner_id=ids["wangfang"],
            status="blocked",
            resume_status="in_progress",
            deadline=clock.today() + timedelta(days=20),
        )
        ids["issue"] = issue.id
        db.session.remove()
    return ids


def test_raise_an_escalation_and_decide_it_from_the_queue(app, live_server, new_page, blocked_item):
    issue_url = f"{live_server}/issues/{blocked_item['issue']}"
    owner = log_in(new_page, live_server, "wangfang")
    owner.goto(issue_url)
    panel = owner.get_by_test_id("panel-escalations")
    panel.get_by_test_id("raise-escalation").locator("summary").click()
    panel.locator("select[name=kind]").select_option("decision")
    panel.locator("select[name=level]").select_option("exec_leader")
    panel.locator("textarea[name=question]").fill("准入办法是否授权分行先行审批？")
    panel.locator("textarea[name=options]").fill("授权分行审批\n维持总行审批")
    panel.locator("textarea[name=recommendation]").fill("授权分行审批")
    panel.locator("form button[type=submit]").click()
    expect(owner.get_by_test_id("escalation-status")).to_be_visible()

    lead = log_in(new_page, live_server, "lina")
    lead.goto(live_server + "/escalations?mine=1")
    queue = lead.get_by_test_id("escalation-queue")
    expect(queue).to_contain_text("准入办法是否授权分行先行审批？")
    queue.get_by_role("link", name="决策").click()
    form = lead.get_by_test_id("decision-form")
    form.locator("textarea[name=text]").fill("授权分行先行审批，总行按月抽查")
    form.locator("select[name=chosen_option]").select_option("授权分行审批")
    form.locator("textarea[name=rationale]").fill("缩短客户等待时间")
    form.locator("input[name=unblock]").check()
    form.locator("button[type=submit]").click()
    expect(lead.get_by_test_id("decision")).to_contain_text("授权分行先行审批，总行按月抽查")

    with app.app_context(), unscoped():
        issue = db.session.get(Issue, blocked_item["issue"])
        escalation = db.session.scalars(select(Escalation)).one()
        assert issue.status == "in_progress" and escalation.status == "decided"
        db.session.remove()
    # The owner was told, and sees the decision on the item's page.
    owner.goto(issue_url)
    expect(owner.get_by_test_id("issue-escalations")).to_contain_text("授权分行先行审批")
    expect(owner.get_by_test_id("unread-badge")).to_be_visible()
