"""A monthly progress meeting in a real browser: proposed agenda, attendance, minutes,
an action item, publishing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.core import clock
from app.core.models import Notification
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.meetings.models import ActionItem, Meeting
from tests import factories
from tests.meetings.helpers import make_meeting, make_series

pytestmark = pytest.mark.browser

TODAY = date(2024, 6, 3)


@pytest.fixture
def monthly(app) -> dict:
    clock.set_today(TODAY)
    with app.app_context(), unscoped():
        task_force = factories.make_task_force("非存AUM攻坚克难小组")
        ids = {}
        for username, name, role in (
            ("liming", "李明远", LEADER),
            ("zhanghui", "张慧", EXEC_LEADER),
            ("chenlei", "陈磊", MEMBER),
        ):
            user = factories.make_user(username, display_name=name)
            factories.make_membership(user, task_force, role)
            ids[username] = user.id
        category = factories.make_category(task_force.id, "客户端", prefix="KH")
        factories.make_issue(
            category,
            "信托认购签约仍需到网点",
            code="KH-001",
            owner_id=ids["chenlei"],
            deadline=TODAY - timedelta(days=5),
            status="in_progress",
        )

        class World:
            task_force_id = task_force.id
            users = ids

        series = make_series(
            World, chair_id=ids["liming"], attendee_ids=[ids["zhanghui"], ids["chenlei"]]
        )
        make_meeting(series, TODAY - timedelta(days=30), status="published")
        meeting = make_meeting(
            series,
            TODAY + timedelta(days=2),
            invited=[ids["liming"], ids["zhanghui"], ids["chenlei"]],
        )
        ids["meeting"] = meeting.id
        db.session.remove()
    return ids


def test_the_monthly_meeting_from_agenda_to_published_minutes(app, live_server, new_page, monthly):
    page = new_page()
    page.goto(live_server + "/login")
    page.locator("input[name=login]").fill("liming")
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.goto(live_server + "/meetings")
    page.get_by_test_id("upcoming").get_by_role("link", name="月度工作推进交流会").click()

    # The agenda proposed from the data: the overdue item is red.
    proposed = page.get_by_test_id("proposed-agenda")
    expect(proposed).to_contain_text("红灯问题")
    expect(proposed).to_contain_text("KH-001 信托认购签约仍需到网点")
    page.get_by_test_id("adopt-agenda").click()
    expect(page.get_by_test_id("agenda-items").first).to_contain_text("KH-001")

    # Attendance.
    page.locator(f"select[name=att-{monthly['liming']}]").select_option("present")
    page.locator(f"select[name=att-{monthly['zhanghui']}]").select_option("present")
    page.locator(f"select[name=att-{monthly['chenlei']}]").select_option("late")
    page.get_by_test_id("save-attendance").click()
    expect(page.locator(f"select[name=att-{monthly['chenlei']}]")).to_have_value("late")

    # Minutes against the item, and the decisions.
    page.locator("textarea[name^=minutes-]").first.fill(
        "陈磊说明线上签约方案，**两周内**提交排期。"
    )
    page.locator("textarea[name=decisions]").fill("线上签约纳入下月重点推进事项。")
    page.get_by_test_id("save-minutes").click()
    expect(page.locator("textarea[name=decisions]")).to_have_value("线上签约纳入下月重点推进事项。")

    # An action item for the owner.
    page.locator("input[name=title]").last.fill("提交线上签约改造排期")
    page.locator("select[name=owner_id]").select_option(str(monthly["chenlei"]))
    page.locator("input[name=deadline]").fill((TODAY + timedelta(days=14)).isoformat())
    page.get_by_test_id("add-action").click()
    expect(page.get_by_test_id("actions")).to_contain_text("提交线上签约改造排期")

    # Held, then published: the minutes are locked and the attendees told. The meeting is
    # two days ahead, so each step asks first.
    page.get_by_test_id("mark-held").click()
    expect(page.get_by_test_id("meeting-confirmation")).to_contain_text("尚未开始")
    page.get_by_test_id("confirm-meeting-action").click()
    page.get_by_test_id("publish").click()
    page.get_by_test_id("confirm-meeting-action").click()
    expect(page.get_by_test_id("meeting-header")).to_contain_text("纪要已发布")
    expect(page.locator(".minutes-text strong")).to_have_text("两周内")
    expect(page.locator(f"select[name=att-{monthly['chenlei']}]")).to_have_count(0)

    with app.app_context(), unscoped():
        meeting = db.session.get(Meeting, monthly["meeting"])
        assert meeting.status == "published"
        action = db.session.scalars(select(ActionItem)).one()
        assert action.owner_id == monthly["chenlei"]
        told = set(
            db.session.scalars(
                select(Notification.recipient_id).where(Notification.kind == "minutes")
            )
        )
        assert told == {monthly["zhanghui"], monthly["chenlei"]}
        db.session.remove()
