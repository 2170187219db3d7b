"""Escalations and meetings linked: scheduled onto a meeting's agenda, decided in a meeting,
shown on the meeting's page, in the register and on the item's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.decisions.models import Decision, Escalation
from app.extensions import db
from app.meetings.models import AgendaItem
from tests.meetings.helpers import make_action, make_meeting, make_series
from tests.pdfcheck import pdf_text

from .conftest import TODAY, days


class _World:
    def __init__(self, task_force_id, users):
        self.task_force_id = task_force_id
        self.users = users


def _meeting(world, day, kind="progress", status="planned", task_force_id=None):
    series = make_series(_World(task_force_id or world.task_force_id, world.users), kind=kind)
    return make_meeting(series, day, status=status).id


def _another_escalation(world, question="更早提出的问题") -> int:
    escalation = Escalation(
        task_force_id=world.task_force_id,
        issue_id=world.issue_id,
        kind="communication",
        level="exec_leader",
        question=question,
        options=[],
        due_on=TODAY + timedelta(days=5),
        raised_by_id=world.users["member"],
        raised_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    )
    db.session.add(escalation)
    db.session.commit()
    return escalation.id


def test_the_schedule_form_offers_upcoming_meetings_progress_first(app, world, login, look):
    with look():
        one_on_one = _meeting(world, days(2), kind="one_on_one")
        monthly = _meeting(world, days(9))
        _meeting(world, days(-3))  # taken place: not offered
    page = login("exec_leader").get(f"/escalations/{world.ids['escalation']}")
    html = page.get_data(as_text=True)
    form = html.split('data-testid="schedule-form"', 1)[1].split("</form>", 1)[0]
    assert form.index(f'value="{monthly}"') < form.index(f'value="{one_on_one}"')
    assert days(-3).isoformat() not in form
    assert 'name="day"' in form  # a day can still be typed


def test_scheduling_onto_a_meeting_puts_it_first_on_that_meetings_agenda(app, world, login, look):
    with look():
        monthly = _meeting(world, days(3))  # the decision's due date
        older = _another_escalation(world)
    exec_leader = login("exec_leader")
    escalation_id = world.ids["escalation"]
    response = exec_leader.post(
        f"/escalations/{escalation_id}/schedule", data={"meeting_id": str(monthly)}
    )
    assert response.status_code == 302
    with look():
        assert db.session.get(Escalation, escalation_id).scheduled_for == days(3)
    page = exec_leader.get(f"/meetings/{monthly}").get_data(as_text=True)
    proposed = page.split('data-testid="proposed-agenda"', 1)[1]
    section = proposed.split("待决策的提级事项", 1)[1]
    assert section.index(f"/escalations/{escalation_id}") < section.index(f"/escalations/{older}")
    # The escalation's page now preselects that meeting.
    page = exec_leader.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    form = page.split('data-testid="schedule-form"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{monthly}" selected>' in form


def test_another_task_forces_meeting_is_refused(app, world, login, look):
    with look():
        foreign = _meeting(world, days(3), task_force_id=world.other_task_force_id)
        past = _meeting(world, days(-20), status="held")
    exec_leader = login("exec_leader")
    escalation_id = world.ids["escalation"]
    response = exec_leader.post(
        f"/escalations/{escalation_id}/schedule", data={"meeting_id": str(foreign)}
    )
    assert response.status_code == 400
    response = exec_leader.post(
        f"/escalations/{escalation_id}/decide",
        data={"text": "先试点", "meeting_id": str(foreign), "version": "1"},
    )
    assert response.status_code == 400
    response = exec_leader.post(
        f"/escalations/{escalation_id}/decide",
        data={"text": "先试点", "meeting_id": "abc", "version": "1"},
    )
    assert response.status_code == 400
    # A meeting that has taken place cannot take a new agenda line.
    response = exec_leader.post(
        f"/escalations/{escalation_id}/schedule", data={"meeting_id": str(past)}
    )
    assert response.status_code == 400
    with look():
        escalation = db.session.get(Escalation, escalation_id)
        assert escalation.status == "pending" and escalation.scheduled_for is None
        assert db.session.scalars(select(Decision)).all() == []


def test_the_service_refuses_another_task_forces_meeting(app, world, person, look):
    from app.core.errors import ValidationFailed
    from app.core.scope import task_force_scope
    from app.decisions import service

    with look():
        foreign = _meeting(world, TODAY, task_force_id=world.other_task_force_id)
    with look(), task_force_scope(world.task_force_id):
        escalation = db.session.get(Escalation, world.ids["escalation"])
        try:
            service.decide(
                person("exec_leader"),
                escalation,
                service.DecisionInput(text="同意", meeting_id=foreign),
            )
        except ValidationFailed as error:
            assert error.field == "meeting_id"
        else:
            raise AssertionError("a meeting of another task force was accepted")
        assert db.session.get(Escalation, world.ids["escalation"]).status == "pending"


def test_deciding_in_a_meeting_shows_on_the_meeting_and_in_the_register(app, world, login, look):
    with look():
        today_meeting = _meeting(world, TODAY)
        held = _meeting(world, days(-10), status="held")
        _meeting(world, days(-100), status="held")  # too long ago to be offered
    exec_leader = login("exec_leader")
    escalation_id = world.ids["escalation"]
    page = exec_leader.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    form = page.split('data-testid="decision-form"', 1)[1].split("</form>", 1)[0]
    # Today's meeting is preselected; the held one is offered; the old one is not.
    assert f'<option value="{today_meeting}" selected>' in form
    assert f'value="{held}"' in form
    assert days(-100).isoformat() not in form
    response = exec_leader.post(
        f"/escalations/{escalation_id}/decide",
        data={
            "text": "先在长春分行试点",
            "chosen_option": "先试点",
            "meeting_id": str(today_meeting),
            "version": "1",
        },
    )
    assert response.status_code == 302
    with look():
        decision = db.session.scalars(select(Decision)).one()
        assert decision.meeting_id == today_meeting
    page = exec_leader.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert f"/meetings/{today_meeting}" in page.split('data-testid="decided-in"', 1)[1]
    page = login("member").get(f"/meetings/{today_meeting}").get_data(as_text=True)
    panel = page.split('data-testid="meeting-decisions"', 1)[1].split("</ul>", 1)[0]
    assert "先在长春分行试点" in panel and "归集产品是否先在长春分行试点？" in panel
    # Not on another meeting's page.
    page = exec_leader.get(f"/meetings/{held}").get_data(as_text=True)
    assert 'data-testid="meeting-decisions"' not in page
    register = exec_leader.get("/decisions").get_data(as_text=True)
    cell = register.split('data-testid="register-meeting"', 1)[1].split("</span>", 1)[0]
    assert f"/meetings/{today_meeting}" in cell and "月度工作推进交流会" in cell
    workbook = load_workbook(BytesIO(exec_leader.get("/decisions.xlsx").data))
    sheet = workbook.active
    assert sheet.cell(1, sheet.max_column).value == "决策会议"
    assert sheet.cell(2, sheet.max_column).value == f"{TODAY.isoformat()} 月度工作推进交流会"
    pdf = exec_leader.get("/decisions.pdf")
    assert pdf.status_code == 200
    assert "推进交流会" in pdf_text(pdf.data).replace("\n", "")


def test_deciding_outside_a_meeting_is_still_possible(app, world, login, look):
    with look():
        _meeting(world, TODAY)
    response = login("exec_leader").post(
        f"/escalations/{world.ids['escalation']}/decide",
        data={"text": "同意", "meeting_id": "", "version": "1"},
    )
    assert response.status_code == 302
    with look():
        assert db.session.scalars(select(Decision)).one().meeting_id is None


def test_the_items_page_lists_its_meetings_and_their_action_items(app, world, login, look):
    with look():
        series = make_series(_World(world.task_force_id, world.users))
        discussed = make_meeting(series, days(-14), status="published")
        db.session.add(
            AgendaItem(
                task_force_id=world.task_force_id,
                meeting_id=discussed.id,
                section="黄灯问题",
                title="现金管理类产品归集与支付",
                subject_type="issue",
                subject_id=world.issue_id,
                minutes="按期上线",
            )
        )
        action = make_action(discussed, "走访吉林分行", owner_id=world.users["member"])
        action.issue_id = world.issue_id
        other = make_meeting(series, days(-7), status="held")
        make_action(other, "与本事项无关")
        db.session.commit()
    page = login("viewer").get(f"/issues/{world.issue_id}").get_data(as_text=True)
    panel = page.split('data-testid="issue-meetings"', 1)[1].split("</ul>\n</ul>", 1)[0]
    assert "月度工作推进交流会" in panel and "黄灯问题" in panel and "按期上线" in panel
    assert "走访吉林分行" in panel
    assert "与本事项无关" not in panel


def test_the_service_decides_in_a_meeting_outside_a_request(app, world, person, look):
    from app.core.scope import task_force_scope
    from app.decisions import service

    with look():
        meeting = _meeting(world, TODAY)
    with look(), task_force_scope(world.task_force_id):
        escalation = db.session.get(Escalation, world.ids["escalation"])
        data = service.DecisionInput(text="同意", meeting_id=meeting)
        decision = service.decide(person("exec_leader"), escalation, data)
        assert decision.meeting_id == meeting
        assert [d.id for d in service.decisions_in_meeting(world.task_force_id, meeting)] == [
            decision.id
        ]


def test_a_meeting_after_the_decisions_due_date_is_asked_about_first(app, world, login, look):
    with look():
        late = _meeting(world, days(9))  # the escalation is due in 3 days
    exec_leader = login("exec_leader")
    escalation_id = world.ids["escalation"]

    asked = exec_leader.post(
        f"/escalations/{escalation_id}/schedule", data={"meeting_id": str(late)}
    )

    assert asked.status_code == 409
    page = asked.get_data(as_text=True)
    assert 'data-testid="schedule-confirmation"' in page
    assert days(3).isoformat() in page and days(9).isoformat() in page
    assert f'<option value="{late}" selected>' in page  # the choice is kept
    with look():
        assert db.session.get(Escalation, escalation_id).scheduled_for is None

    done = exec_leader.post(
        f"/escalations/{escalation_id}/schedule",
        data={"meeting_id": str(late), "confirm": "1"},
    )

    assert done.status_code == 302
    with look():
        assert db.session.get(Escalation, escalation_id).scheduled_for == days(9)


def test_a_typed_day_after_the_due_date_is_asked_about_too(app, world, person, look):
    from app.core.errors import ConfirmationRequired
    from app.core.scope import task_force_scope
    from app.decisions import service

    with look(), task_force_scope(world.task_force_id):
        escalation = db.session.get(Escalation, world.ids["escalation"])
        with pytest.raises(ConfirmationRequired) as asked:
            service.schedule(person("exec_leader"), escalation, days(4))
        assert asked.value.field == "day"
        assert escalation.scheduled_for is None
        service.schedule(person("exec_leader"), escalation, days(4), confirmed=True)
        # Saving the same late day again asks nothing more.
        service.schedule(person("exec_leader"), escalation, days(4))
        assert escalation.scheduled_for == days(4)
