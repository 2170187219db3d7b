"""The meeting's page keeps what the secretary typed: it is one form, and every action on it
(an action item, an agenda line, attendance, "held" ...) saves the minutes typed so far
first; a stale page keeps the typing. Marking a future meeting held or publishing its
minutes asks first. Attendance has "all present"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.errors import ConfirmationRequired
from app.core.models import AuditEvent
from app.extensions import db
from app.issues.models import Issue
from app.meetings import service
from app.meetings.models import ActionItem, AgendaItem, Attendance, Meeting
from tests.meetings.conftest import TODAY, days
from tests.meetings.helpers import make_action, make_meeting, make_series

TYPED = "陈磊说明线上签约方案，两周内提交排期。"


@pytest.fixture
def meeting(app, world):
    """Today's progress meeting (09:30; the clock says 10:00) with one agenda line, three
    people invited and one action item."""
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        series = make_series(world)
        meeting = make_meeting(
            series,
            TODAY,
            invited=[world.users["leader"], world.users["member"], world.users["exec_leader"]],
        )
        item = AgendaItem(
            task_force_id=meeting.task_force_id, meeting_id=meeting.id, position=1, title="线上签约"
        )
        db.session.add(item)
        db.session.commit()
        action = make_action(meeting, "梳理客户名单", owner_id=world.users["member"])
        return {
            "id": meeting.id,
            "item": item.id,
            "action": action.id,
            "version": meeting.version,
            "series": series.id,
        }


def typed(meeting, text=TYPED, **more) -> dict:
    """What the page posts with any of its buttons: the minutes typed so far."""
    return {
        f"minutes-{meeting['item']}": text,
        "decisions": "纳入下月重点",
        "version": str(meeting["version"]),
        **more,
    }


def saved_minutes(look, meeting) -> tuple[str, str]:
    with look():
        return (
            db.session.get(AgendaItem, meeting["item"]).minutes,
            db.session.get(Meeting, meeting["id"]).decisions,
        )


def test_adding_an_action_item_keeps_the_minutes_typed(login, look, world, meeting):
    leader = login("leader")

    response = leader.post(
        f"/meetings/{meeting['id']}/actions",
        data=typed(meeting, title="提交线上签约改造排期", owner_id=world.users["member"]),
    )

    assert response.status_code == 302
    assert saved_minutes(look, meeting) == (TYPED, "纳入下月重点")
    page = leader.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    assert TYPED in page and "提交线上签约改造排期" in page
    with look():
        assert db.session.scalar(
            select(ActionItem.id).where(ActionItem.title == "提交线上签约改造排期")
        )


def _actions(world, meeting) -> dict[str, tuple[str, dict]]:
    """Every button of the page but "save" and "held": (url, its own fields)."""
    m, a = meeting["id"], meeting["action"]
    return {
        "attendance": (f"/meetings/{m}/attendance", {f"att-{world.users['member']}": "late"}),
        "all present": (f"/meetings/{m}/attendance/all-present", {}),
        "agenda line": (f"/meetings/{m}/agenda", {"agenda-title": "其他事项"}),
        "adopt agenda": (f"/meetings/{m}/agenda/adopt", {}),
        "agenda up": (f"/meetings/agenda/{meeting['item']}/move", {"direction": "up"}),
        "action done": (f"/meetings/actions/{a}/done", {"done": "1"}),
        "as subtask": (f"/meetings/actions/{a}/subtask", {f"issue_code-{a}": "NO-999"}),
        "as new item": (f"/meetings/actions/{a}/issue", {f"category_id-{a}": ""}),
        "move": (f"/meetings/{m}/move", {"day": "", "start_time": ""}),
        "publish": (f"/meetings/{m}/publish", {}),  # refused: not held yet
    }


@pytest.mark.parametrize(
    "button",
    [
        "attendance",
        "all present",
        "agenda line",
        "adopt agenda",
        "agenda up",
        "action done",
        "as subtask",
        "as new item",
        "move",
        "publish",
    ],
)
def test_no_button_of_the_page_discards_the_minutes_typed(login, look, world, meeting, button):
    url, own = _actions(world, meeting)[button]

    response = login("leader").post(url, data=typed(meeting, **own))

    assert response.status_code in (302, 400)
    assert saved_minutes(look, meeting) == (TYPED, "纳入下月重点")


def test_an_action_refused_for_its_own_input_shows_the_minutes_saved(login, look, meeting):
    response = login("leader").post(
        f"/meetings/{meeting['id']}/actions", data=typed(meeting, title="")
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert TYPED in page
    assert saved_minutes(look, meeting)[0] == TYPED


def test_a_stale_page_keeps_what_was_typed_and_runs_nothing(login, look, world, meeting):
    exec_leader, leader = login("exec_leader"), login("leader")
    exec_leader.post(
        f"/meetings/{meeting['id']}/minutes", data=typed(meeting, text="张慧先记下的纪要")
    )

    response = leader.post(
        f"/meetings/{meeting['id']}/actions",
        data=typed(meeting, title="提交排期", owner_id=world.users["member"]),
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-testid="stale-minutes"' in page
    assert f">{TYPED}</textarea>" in page  # the typing, in its box
    assert 'data-testid="saved-meanwhile"' in page and "张慧先记下的纪要" in page
    assert 'value="提交排期"' in page  # the action item typed is kept too
    assert saved_minutes(look, meeting)[0] == "张慧先记下的纪要"
    with look():
        assert not db.session.scalar(select(ActionItem.id).where(ActionItem.title == "提交排期"))
    # Saving again from that page (its version is the current one) applies the typing.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert (
        leader.post(
            f"/meetings/{meeting['id']}/minutes",
            data={**typed(meeting), "version": version},
        ).status_code
        == 302
    )
    assert saved_minutes(look, meeting)[0] == TYPED


def test_the_page_is_one_form_whose_buttons_carry_their_own_action(login, meeting):
    page = login("leader").get(f"/meetings/{meeting['id']}").get_data(as_text=True)

    start = page.index('<form id="meeting-form"')
    form = page[start : page.index("</form>", start)]
    assert "<form" not in form[5:]  # no form nested, none beside it for the meeting
    assert page.count('formaction="') == form.count('formaction="') >= 10
    for endpoint in ("/actions", "/attendance/all-present", "/held", "/agenda", "/minutes"):
        assert f'formaction="/meetings/{meeting["id"]}{endpoint}"' in form
    assert f'name="minutes-{meeting["item"]}"' in form and 'name="decisions"' in form
    assert 'name="agenda-title"' in form and 'name="title"' in form  # no clash
    assert 'name="csrf_token"' in form


def test_all_present_marks_everyone_not_recorded_otherwise(login, look, world, meeting):
    with look():
        row = db.session.scalars(
            select(Attendance).where(
                Attendance.meeting_id == meeting["id"],
                Attendance.user_id == world.users["exec_leader"],
            )
        ).one()
        row.status = "excused"
        db.session.commit()

    response = login("leader").post(f"/meetings/{meeting['id']}/attendance/all-present")

    assert response.status_code == 302
    with look():
        statuses = dict(
            db.session.execute(
                select(Attendance.user_id, Attendance.status).where(
                    Attendance.meeting_id == meeting["id"]
                )
            ).all()
        )
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "attendance")
        ).one()
    assert statuses == {
        world.users["leader"]: "present",
        world.users["member"]: "present",
        world.users["exec_leader"]: "excused",
    }
    assert set(event.changes) == {str(world.users["leader"]), str(world.users["member"])}


def test_only_those_who_run_the_meeting_mark_all_present(login, look, meeting):
    response = login("member").post(f"/meetings/{meeting['id']}/attendance/all-present")

    assert response.status_code == 302  # refused with a message
    with look():
        assert not db.session.scalars(
            select(Attendance).where(Attendance.status.is_not(None))
        ).all()
    assert (
        login("viewer").post(f"/meetings/{meeting['id']}/attendance/all-present").status_code == 403
    )


# --- a meeting in the future ---------------------------------------------------------------


@pytest.fixture
def future(app, world, meeting):
    """A meeting of the same series in two days."""
    from app.core.scope import unscoped
    from app.meetings.models import MeetingSeries

    with app.app_context(), unscoped():
        series = db.session.get(MeetingSeries, meeting["series"])
        return make_meeting(series, days(2), invited=[world.users["member"]]).id


def test_is_future_compares_the_start_with_now(ctx, world, meeting):
    stored = db.session.get(Meeting, meeting["id"])  # today 09:30
    clock.set_now(datetime(2024, 6, 3, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    assert service.is_future(stored)
    clock.set_now(datetime(2024, 6, 3, 1, 45, tzinfo=UTC))  # 09:45 in Shanghai
    assert not service.is_future(stored)


def test_marking_a_future_meeting_held_asks_first(login, look, future):
    leader = login("leader")

    asked = leader.post(f"/meetings/{future}/held")

    assert asked.status_code == 409
    page = asked.get_data(as_text=True)
    assert 'data-testid="meeting-confirmation"' in page
    assert days(2).isoformat() in page
    assert f'formaction="/meetings/{future}/held" name="confirm" value="1"' in page
    with look():
        assert db.session.get(Meeting, future).status == "planned"

    assert leader.post(f"/meetings/{future}/held", data={"confirm": "1"}).status_code == 302
    with look():
        assert db.session.get(Meeting, future).status == "held"


def test_publishing_the_minutes_of_a_future_meeting_asks_first(ctx, world, future):
    from app.core.scope import task_force_scope
    from app.people.models import User

    leader = db.session.get(User, world.users["leader"])
    with task_force_scope(world.task_force_id):
        stored = db.session.get(Meeting, future)
        service.mark_held(leader, stored, confirmed=True)
        with pytest.raises(ConfirmationRequired):
            service.publish_minutes(leader, stored)
        assert stored.status == "held"
        service.publish_minutes(leader, stored, confirmed=True)
        assert stored.status == "published"


def test_a_meeting_that_has_started_is_marked_held_without_a_question(login, look, meeting):
    assert login("leader").post(f"/meetings/{meeting['id']}/held").status_code == 302
    with look():
        assert db.session.get(Meeting, meeting["id"]).status == "held"


def test_the_question_keeps_the_minutes_typed(login, look, future):
    from app.core.scope import unscoped

    with look(), unscoped():
        item = AgendaItem(
            task_force_id=db.session.get(Meeting, future).task_force_id,
            meeting_id=future,
            position=1,
            title="预备议题",
        )
        db.session.add(item)
        db.session.commit()
        ids = {"item": item.id, "version": db.session.get(Meeting, future).version}

    asked = login("leader").post(
        f"/meetings/{future}/held",
        data={f"minutes-{ids['item']}": "会前记下", "version": str(ids["version"])},
    )

    assert asked.status_code == 409
    assert "会前记下" in asked.get_data(as_text=True)
    with look():
        assert db.session.get(AgendaItem, ids["item"]).minutes == "会前记下"


# --- an action item onto a finished item ---------------------------------------------------


def test_an_action_item_does_not_become_a_subtask_of_a_closed_item(login, look, world, meeting):
    with look():
        issue = db.session.get(Issue, world.issue_id)
        issue.status = "closed"
        db.session.commit()
        code = issue.code
    leader = login("leader")

    response = leader.post(
        f"/meetings/actions/{meeting['action']}/subtask",
        data={f"issue_code-{meeting['action']}": code},
    )

    assert response.status_code == 302
    assert "重新打开" in leader.get(response.headers["Location"]).get_data(as_text=True)
    with look():
        action = db.session.get(ActionItem, meeting["action"])
        assert action.subtask_id is None and action.issue_id is None
        assert len(db.session.get(Issue, world.issue_id).subtasks) == 1
