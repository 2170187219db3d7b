"""Escalations in a real browser: the owner raises one on a blocked item from its page, the
executive leader puts it on the monthly meeting's agenda from the queue, opens the meeting,
decides it there, in the meeting, and the item is unblocked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Issue
from app.meetings.models import Meeting
from tests import factories
from tests.meetings.helpers import make_meeting, make_series

from .test_problem_list import log_in

pytestmark = pytest.mark.browser

TODAY = date(2024, 6, 3)
MEETING_DAY = TODAY + timedelta(days=2)


@pytest.fixture
def blocked_item(app) -> dict:
    clock.set_today(TODAY)
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

        class World:
            task_force_id = task_force.id
            users = ids

        series = make_series(World, chair_id=ids["zhangwei"], attendee_ids=[ids["lina"]])
        make_meeting(series, TODAY - timedelta(days=28), status="published")
        ids["meeting"] = make_meeting(series, MEETING_DAY, invited=[ids["lina"]]).id
        db.session.remove()
    return ids


def test_raise_an_escalation_schedule_it_and_decide_it_in_the_monthly_meeting(
    app, live_server, new_page, blocked_item
):
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

    # The executive leader puts it on the agenda of the monthly meeting, from the queue.
    lead = log_in(new_page, live_server, "lina")
    lead.goto(live_server + "/escalations?mine=1")
    queue = lead.get_by_test_id("escalation-queue")
    expect(queue).to_contain_text("准入办法是否授权分行先行审批？")
    queue.get_by_role("link", name="决策").click()
    schedule = lead.get_by_test_id("schedule-form")
    schedule.locator("select[name=meeting_id]").select_option(
        label=f"{MEETING_DAY.isoformat()} 月度工作推进交流会"
    )
    schedule.locator("button[type=submit]").click()
    scheduled = lead.get_by_test_id("scheduled-for")
    expect(scheduled).to_contain_text("月度工作推进交流会")

    # The meeting's agenda proposes it, first under the pending escalations.
    scheduled.get_by_role("link").click()
    proposed = lead.get_by_test_id("proposed-agenda")
    expect(proposed).to_contain_text("待决策的提级事项")
    expect(proposed.get_by_role("link", name="准入办法是否授权分行先行审批？")).to_be_visible()

    # The meeting day: the leader decides it there, in the meeting.
    clock.set_today(MEETING_DAY)
    lead.reload()
    lead.get_by_test_id("proposed-agenda").get_by_role(
        "link", name="准入办法是否授权分行先行审批？"
    ).click()
    form = lead.get_by_test_id("decision-form")
    expect(form.locator("select[name=meeting_id]")).to_have_value(str(blocked_item["meeting"]))
    form.locator("textarea[name=text]").fill("授权分行先行审批，总行按月抽查")
    form.locator("select[name=chosen_option]").select_option("授权分行审批")
    form.locator("textarea[name=rationale]").fill("缩短客户等待时间")
    form.locator("input[name=unblock]").check()
    form.locator("button[type=submit]").click()
    expect(lead.get_by_test_id("decision")).to_contain_text("授权分行先行审批，总行按月抽查")
    lead.get_by_test_id("decided-in").get_by_role("link").click()
    expect(lead.get_by_test_id("meeting-decisions")).to_contain_text(
        "授权分行先行审批，总行按月抽查"
    )

    with app.app_context(), unscoped():
        issue = db.session.get(Issue, blocked_item["issue"])
        escalation = db.session.scalars(select(Escalation)).one()
        assert issue.status == "in_progress" and escalation.status == "decided"
        assert escalation.scheduled_for == MEETING_DAY
        assert escalation.decision.meeting_id == blocked_item["meeting"]
        assert db.session.get(Meeting, blocked_item["meeting"]).status == "planned"
        db.session.remove()
    # The owner was told, and sees the decision on the item's page.
    owner.goto(issue_url)
    expect(owner.get_by_test_id("issue-escalations")).to_contain_text("授权分行先行审批")
    expect(owner.get_by_test_id("unread-badge")).to_be_visible()
