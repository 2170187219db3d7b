"""Closing means closed, in a real browser: the secretary's minutes survive the other
actions of the meeting's page, and closing an item with an open milestone asks first.

Screenshots (zh, desktop and 390 px wide; the meeting page in English too) go to
test-artifacts/ for a person to look at."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.core import clock
from app.core.permissions import EXEC_LEADER, LEADER, MEMBER
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Issue, Milestone
from app.meetings.models import ActionItem, AgendaItem, Meeting
from tests import factories
from tests.browser.conftest import eventually
from tests.meetings.helpers import make_meeting, make_series

pytestmark = pytest.mark.browser

TODAY = date(2024, 6, 3)  # a Monday; the clock stands at 10:00 in Shanghai
PHONE = {"width": 390, "height": 844}
MINUTES = "陈磊说明线上签约方案，**两周内**提交排期。"


@pytest.fixture
def team(app) -> dict:
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
        issue = factories.make_issue(
            category,
            "信托认购签约仍需到网点",
            code="KH-001",
            owner_id=ids["chenlei"],
            deadline=TODAY + timedelta(days=20),
            status="verifying",
            solution="上线线上签约",
        )
        db.session.add(
            Milestone(
                task_force_id=task_force.id,
                issue_id=issue.id,
                title="分行推广",
                due_on=TODAY + timedelta(days=10),
            )
        )
        ids["issue"] = issue.id

        class World:
            task_force_id = task_force.id
            users = ids

        series = make_series(
            World, chair_id=ids["liming"], attendee_ids=[ids["zhanghui"], ids["chenlei"]]
        )
        meeting = make_meeting(  # today at 09:30: under way
            series, TODAY, invited=[ids["liming"], ids["zhanghui"], ids["chenlei"]]
        )
        db.session.add(
            AgendaItem(
                task_force_id=task_force.id,
                meeting_id=meeting.id,
                position=1,
                section="红灯问题",
                title="KH-001 信托认购签约仍需到网点",
                url=f"/issues/{issue.id}",
                subject_type="issue",
                subject_id=issue.id,
            )
        )
        db.session.commit()
        ids["meeting"] = meeting.id
        db.session.remove()
    return ids


def log_in(new_page, base_url: str, username: str, **options) -> Page:
    page = new_page(**options)
    page.goto(base_url + "/login")
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_test_id("totals")).to_be_visible()
    return page


def test_the_secretary_types_minutes_adds_an_action_item_and_the_minutes_are_still_there(
    app, live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "liming")
    page.goto(f"{live_server}/meetings/{team['meeting']}")

    # The secretary types the minutes and the decisions, and does not save them …
    page.locator("textarea[name^=minutes-]").first.fill(MINUTES)
    page.locator("textarea[name=decisions]").fill("线上签约纳入下月重点推进事项。")
    # … then adds an action item, and marks everybody present in one click.
    page.locator("input[name=title]").fill("提交线上签约改造排期")
    page.locator("select[name=owner_id]").select_option(str(team["chenlei"]))
    page.locator("input[name=deadline]").fill((TODAY + timedelta(days=14)).isoformat())
    page.get_by_test_id("add-action").click()

    expect(page.get_by_test_id("actions")).to_contain_text("提交线上签约改造排期")
    expect(page.locator("textarea[name^=minutes-]").first).to_have_value(MINUTES)
    expect(page.locator("textarea[name=decisions]")).to_have_value("线上签约纳入下月重点推进事项。")
    expect(page.locator("#flash-area")).to_contain_text("也已一并保存")

    # Enter in the action item's field adds it; the minutes typed meanwhile stay too.
    page.locator("textarea[name^=minutes-]").first.fill(MINUTES + "\n张慧补充：先试点。")
    page.locator("input[name=title]").fill("联系信托公司")
    page.locator("input[name=title]").press("Enter")
    expect(page.get_by_test_id("actions")).to_contain_text("联系信托公司")
    expect(page.locator("textarea[name^=minutes-]").first).to_have_value(
        MINUTES + "\n张慧补充：先试点。"
    )

    page.get_by_test_id("all-present").click()
    for person in ("liming", "zhanghui", "chenlei"):
        expect(page.locator(f"select[name=att-{team[person]}]")).to_have_value("present")
    page.screenshot(path=str(artifacts / "meeting-minutes-kept-zh.png"), full_page=True)

    with app.app_context(), unscoped():
        titles = set(db.session.scalars(select(ActionItem.title)))
        assert titles == {"提交线上签约改造排期", "联系信托公司"}
        item = db.session.scalars(select(AgendaItem)).one()
        # A browser sends a textarea's lines with CRLF.
        assert item.minutes.replace("\r\n", "\n") == MINUTES + "\n张慧补充：先试点。"
        assert (
            db.session.get(Meeting, team["meeting"]).decisions == "线上签约纳入下月重点推进事项。"
        )
        db.session.remove()

    # The same page on a phone, in Chinese and in English.
    phone = log_in(new_page, live_server, "liming", viewport=PHONE)
    phone.goto(f"{live_server}/meetings/{team['meeting']}")
    expect(phone.get_by_test_id("all-present")).to_be_visible()
    phone.screenshot(path=str(artifacts / "meeting-minutes-kept-zh-390.png"), full_page=True)
    with app.app_context(), unscoped():
        db.session.get(factories.User, team["liming"]).locale = "en"  # his choice of language
        db.session.commit()
        db.session.remove()
    english = log_in(new_page, live_server, "liming", viewport=PHONE)
    english.goto(f"{live_server}/meetings/{team['meeting']}")
    expect(english.get_by_test_id("all-present")).to_contain_text("All present")
    english.screenshot(path=str(artifacts / "meeting-minutes-kept-en-390.png"), full_page=True)


def test_closing_an_item_with_an_open_milestone_asks_first(
    app, live_server, new_page, team, artifacts
):
    page = log_in(new_page, live_server, "zhanghui")
    page.goto(f"{live_server}/issues/{team['issue']}")
    expect(page.get_by_test_id("open-work-hint")).to_be_visible()

    status_form = page.get_by_test_id("status-form")
    status_form.locator("select[name=status]").select_option("closed")
    status_form.locator("textarea[name=verification_note]").fill("现场验收通过，抽查三家分行")
    status_form.locator("button[type=submit]").last.click()

    # Asked, not closed: what is open is listed, the note typed is kept.
    confirmation = page.get_by_test_id("close-confirmation")
    expect(confirmation).to_contain_text("分行推广")
    expect(status_form.locator("textarea[name=verification_note]")).to_have_value(
        "现场验收通过，抽查三家分行"
    )
    page.screenshot(path=str(artifacts / "close-asks-first-zh.png"), full_page=True)
    with app.app_context(), unscoped():
        assert db.session.get(Issue, team["issue"]).status == "verifying"
        db.session.remove()

    page.get_by_test_id("confirm-close").click()

    expect(page.locator(".status-closed").first).to_be_visible()
    expect(page.get_by_test_id("open-at-closing")).to_contain_text("里程碑“分行推广”")
    expect(page.get_by_test_id("read-only-note")).to_be_visible()
    expect(page.get_by_test_id("milestones")).to_contain_text("分行推广")
    expect(page.locator("input[name=due_on]")).to_have_count(0)  # no reschedule, no new step
    page.screenshot(path=str(artifacts / "closed-read-only-zh.png"), full_page=True)
    with app.app_context(), unscoped():
        issue = db.session.get(Issue, team["issue"])
        assert issue.status == "closed"
        assert issue.open_at_closing["milestones"][0]["title"] == "分行推广"
        db.session.remove()

    # On a phone: the closed item's record reads the same.
    phone = log_in(new_page, live_server, "chenlei", viewport=PHONE)
    phone.goto(f"{live_server}/issues/{team['issue']}")
    expect(phone.get_by_test_id("open-at-closing")).to_be_visible()
    phone.screenshot(path=str(artifacts / "closed-read-only-zh-390.png"), full_page=True)


def test_the_board_asks_before_closing_an_item_with_an_open_milestone(
    app, live_server, new_page, team
):
    page = log_in(new_page, live_server, "zhanghui")
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.type)
        if dialog.type == "prompt":
            dialog.accept("现场验收通过")
        elif len(asked) == 2:  # the first time the board asks to confirm: not now
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    page.goto(live_server + "/board")
    card = page.get_by_test_id("board-card").filter(has_text="KH-001")
    card.drag_to(page.locator("[data-column=closed] [data-cards]"))
    assert eventually(lambda: len(asked) == 2, page)  # the note, then "not now"
    expect(page.locator("[data-column=verifying]")).to_contain_text("KH-001")  # put back
    with app.app_context(), unscoped():
        assert db.session.get(Issue, team["issue"]).status == "verifying"
        db.session.remove()

    card.drag_to(page.locator("[data-column=closed] [data-cards]"))
    expect(page.locator("[data-column=closed]")).to_contain_text("KH-001")

    def closed() -> bool:
        with app.app_context(), unscoped():
            issue = db.session.get(Issue, team["issue"])
            done = issue.status == "closed" and bool(issue.open_at_closing)
            db.session.remove()
        return done

    assert eventually(closed, page)
    assert asked == ["prompt", "confirm", "prompt", "confirm"]
