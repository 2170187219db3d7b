"""Escalations (提级): who raises and decides, the decision applied to the item at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock, hooks
from app.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.core.models import AuditEvent, Notification
from app.core.permissions import can
from app.core.scope import task_force_scope
from app.core.unit import committing
from app.decisions import service
from app.decisions.models import Decision, Escalation
from app.decisions.service import escalations
from app.extensions import db
from app.issues.models import Issue
from tests import factories

from .conftest import TODAY, days


def _escalate(person, world, who="member", **fields) -> Escalation:
    issue = db.session.get(Issue, world.issue_id)
    data = service.EscalationInput(
        kind=fields.pop("kind", "decision"),
        level=fields.pop("level", "exec_leader"),
        question=fields.pop("question", "是否先在长春分行试点？"),
        options=fields.pop("options", ["先试点", "全面推开"]),
        recommendation="先试点",
        **fields,
    )
    return service.raise_escalation(person(who), issue, data)


def _other_issue(world, **fields) -> Issue:
    category = db.session.get(factories.Category, world.category_id)
    return factories.make_issue(
        category, "无关的问题", owner_id=world.users["exec_leader"], **fields
    )


# --- raising ---------------------------------------------------------------------------------


def test_the_owner_raises_on_their_item_but_not_on_someone_elses(scoped, world, person):
    escalation = _escalate(person, world)
    assert escalation.status == "pending" and escalation.raised_by_id == world.users["member"]
    other = _other_issue(world)
    data = service.EscalationInput(kind="decision", level="leader", question="?")
    with pytest.raises(PermissionDenied):
        service.raise_escalation(person("member"), other, data)
    # The leaders raise on any item.
    assert service.raise_escalation(person("leader"), other, data).id


def test_a_collaborator_raises_and_a_viewer_does_not(scoped, world, person):
    assert _escalate(person, world, who="temp_member").id  # a collaborator of the item
    with pytest.raises(PermissionDenied):
        _escalate(person, world, who="viewer")


def test_the_decision_is_due_in_working_days_weekends_skipped(scoped, world, person):
    # TODAY is a Monday: three working days later is Thursday.
    assert _escalate(person, world).due_on == date(2024, 6, 6)
    clock.set_today(date(2024, 6, 7))  # a Friday: Saturday and Sunday do not count
    assert _escalate(person, world).due_on == date(2024, 6, 12)


def test_a_question_is_required_and_a_due_date_not_in_the_past(scoped, world, person):
    with pytest.raises(ValidationFailed) as missing:
        _escalate(person, world, question="  ")
    assert missing.value.field == "question"
    with pytest.raises(ValidationFailed) as past:
        _escalate(person, world, due_on=days(-1))
    assert past.value.field == "due_on"


def test_raising_tells_the_deciders_of_that_level(scoped, world, person):
    escalation = _escalate(person, world, level="leader")
    told = set(
        db.session.scalars(
            select(Notification.recipient_id).where(Notification.kind == "escalation")
        )
    )
    assert told == {world.users["leader"]}
    assert escalation.id


# --- deciding --------------------------------------------------------------------------------


def test_the_level_decides_who_may_decide(scoped, world, person):
    to_leader = _escalate(person, world, level="leader")
    assert not can(person("exec_leader"), "escalation.decide", to_leader)
    assert can(person("leader"), "escalation.decide", to_leader)
    with pytest.raises(PermissionDenied):
        service.decide(person("exec_leader"), to_leader, service.DecisionInput(text="同意"))
    to_exec = _escalate(person, world, level="exec_leader")
    assert can(person("exec_leader"), "escalation.decide", to_exec)
    assert can(person("leader"), "escalation.decide", to_exec)
    for who in ("member", "viewer", "temp_member"):
        assert not can(person(who), "escalation.decide", to_exec)
    with pytest.raises(PermissionDenied):
        service.decide(person("member"), to_exec, service.DecisionInput(text="同意"))


def test_a_decision_unblocks_reschedules_and_reassigns_the_item_at_once(scoped, world, person):
    issue = db.session.get(Issue, world.issue_id)
    issue.status, issue.resume_status = "blocked", "in_progress"
    db.session.commit()
    escalation = _escalate(person, world)
    clock.set_now(datetime(2024, 6, 4, 6, 0, tzinfo=UTC))
    decision = service.decide(
        person("exec_leader"),
        escalation,
        service.DecisionInput(
            text="先在长春分行试点，一个月后复盘",
            chosen_option="先试点",
            rationale="风险可控",
            unblock=True,
            new_deadline=days(45),
            new_owner_id=world.users["temp_member"],
        ),
    )
    db.session.expire_all()
    issue = db.session.get(Issue, world.issue_id)
    assert (issue.status, issue.deadline, issue.owner_id) == (
        "in_progress",
        days(45),
        world.users["temp_member"],
    )
    assert escalation.status == "decided"
    assert decision.decided_by_id == world.users["exec_leader"]
    assert decision.unblocked and decision.new_deadline == days(45)
    # The item's history shows the decision's changes, audited.
    changes = db.session.scalars(
        select(AuditEvent.changes).where(
            AuditEvent.entity_type == "issue", AuditEvent.action == "decided"
        )
    ).one()
    assert set(changes) == {"status", "deadline", "owner_id"}
    # The raiser and the (new) owner are told.
    told = set(
        db.session.scalars(select(Notification.recipient_id).where(Notification.kind == "decision"))
    )
    assert told == {world.users["member"], world.users["temp_member"]}


def test_a_failed_decision_leaves_escalation_and_item_unchanged(scoped, world, person):
    escalation = _escalate(person, world)
    before = db.session.get(Issue, world.issue_id)
    snapshot = (before.status, before.deadline, before.owner_id, before.version)
    stranger = factories.make_user("stranger2")
    with pytest.raises(ValidationFailed):
        service.decide(
            person("exec_leader"),
            escalation,
            service.DecisionInput(
                text="换人", new_deadline=days(60), new_owner_id=stranger.id
            ),  # not on the roster
        )
    db.session.expire_all()
    issue = db.session.get(Issue, world.issue_id)
    assert (issue.status, issue.deadline, issue.owner_id, issue.version) == snapshot
    assert db.session.get(Escalation, escalation.id).status == "pending"
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_failure_after_the_item_changed_rolls_everything_back(
    scoped, world, person, monkeypatch, commit
):
    escalation = _escalate(person, world)
    commit()
    deadline_before = db.session.get(Issue, world.issue_id).deadline

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(escalations, "tell", broken)
    # The service flushes; the boundary (here a command's) keeps all of it or nothing.
    with pytest.raises(RuntimeError), committing():
        service.decide(
            person("exec_leader"),
            escalation,
            service.DecisionInput(text="延期", new_deadline=days(90)),
        )
    db.session.expire_all()
    assert db.session.get(Issue, world.issue_id).deadline == deadline_before
    assert db.session.get(Escalation, escalation.id).status == "pending"
    assert db.session.scalar(select(func.count(Decision.id))) == 0
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "decided"))
        == 0
    )


def test_an_escalation_is_decided_once(scoped, world, person):
    escalation = _escalate(person, world)
    service.decide(person("exec_leader"), escalation, service.DecisionInput(text="同意"))
    with pytest.raises(InvalidTransition):
        service.decide(person("leader"), escalation, service.DecisionInput(text="再议"))


def test_the_chosen_option_must_be_one_of_the_options(scoped, world, person):
    escalation = _escalate(person, world)
    with pytest.raises(ValidationFailed) as error:
        service.decide(
            person("exec_leader"),
            escalation,
            service.DecisionInput(text="同意", chosen_option="第三条路"),
        )
    assert error.value.field == "chosen_option"


# --- supervision escalations -----------------------------------------------------------------


def test_a_supervision_escalation_puts_the_item_under_the_leaders_supervision(
    app, world, login, look
):
    member = login("member")
    response = member.post(
        f"/issues/{world.issue_id}/escalate",
        data={"kind": "supervision", "level": "leader", "question": "请组长督办"},
    )
    assert response.status_code == 302
    with look():
        assert db.session.get(Issue, world.issue_id).supervised
    # It stands out on the list, the board, my items and the item's page.
    for url in ("/issues", "/board", "/my", f"/issues/{world.issue_id}"):
        assert 'data-testid="supervised-badge"' in member.get(url).get_data(as_text=True), url
    # Only the leader lifts it.
    login("exec_leader").post(f"/issues/{world.issue_id}/supervision/lift")
    with look():
        assert db.session.get(Issue, world.issue_id).supervised
    login("leader").post(f"/issues/{world.issue_id}/supervision/lift")
    with look():
        assert not db.session.get(Issue, world.issue_id).supervised


# --- pages -----------------------------------------------------------------------------------


def test_the_item_page_shows_its_escalations_and_a_raise_form_for_those_who_may(
    app, world, login, look, commit
):
    with look(), task_force_scope(world.task_force_id):
        member = db.session.get(factories.User, world.users["member"])
        issue = db.session.get(Issue, world.issue_id)
        service.raise_escalation(
            member,
            issue,
            service.EscalationInput(
                kind="communication", level="exec_leader", question="协调科技部排期"
            ),
        )
        commit()
    page = login("member").get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert "协调科技部排期" in page and 'data-testid="raise-escalation"' in page
    viewer_page = login("viewer").get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert "协调科技部排期" in viewer_page and 'data-testid="raise-escalation"' not in viewer_page


def test_the_queue_lists_pending_escalations_oldest_first_with_overdue_marked(
    app, world, login, look, commit
):
    with look(), task_force_scope(world.task_force_id):
        member = db.session.get(factories.User, world.users["member"])
        issue = db.session.get(Issue, world.issue_id)
        clock.set_today(TODAY - timedelta(days=10))
        old = service.raise_escalation(
            member, issue, service.EscalationInput("decision", "exec_leader", "旧的问题")
        )
        clock.set_today(TODAY)
        service.raise_escalation(
            member, issue, service.EscalationInput("decision", "leader", "新的问题")
        )
        assert old.due_on < TODAY
        commit()
    page = login("exec_leader").get("/escalations").get_data(as_text=True)
    # The world's escalation was raised today, before the new one.
    assert page.index("旧的问题") < page.index("归集产品是否先在") < page.index("新的问题")
    assert page.count('data-testid="overdue"') == 1
    mine = login("exec_leader").get("/escalations?mine=1").get_data(as_text=True)
    assert "旧的问题" in mine and "新的问题" not in mine  # the leader's to decide


def test_deciding_from_the_escalation_page(app, world, login, look):
    exec_leader = login("exec_leader")
    escalation_id = world.ids["escalation"]
    page = exec_leader.get(f"/escalations/{escalation_id}").get_data(as_text=True)
    assert 'data-testid="decision-form"' in page
    response = exec_leader.post(
        f"/escalations/{escalation_id}/decide",
        data={"text": "", "version": "1"},
    )
    assert response.status_code == 400
    response = exec_leader.post(
        f"/escalations/{escalation_id}/decide",
        data={"text": "先试点", "chosen_option": "先试点", "rationale": "稳妥", "version": "1"},
    )
    assert response.status_code == 302
    with look():
        decision = db.session.scalars(select(Decision)).one()
        assert decision.text == "先试点" and decision.meeting_id is None
    # A viewer sees it and cannot decide.
    assert login("viewer").post(f"/escalations/{escalation_id}/decide", data={}).status_code == 403


def test_another_task_forces_escalation_is_not_found(app, world, login, look):
    with look(), task_force_scope(world.other_task_force_id):
        stranger = db.session.scalar(
            select(factories.User).where(factories.User.username == "stranger")
        )
        other = db.session.get(Issue, world.other_issue_id)
        escalation = Escalation(
            task_force_id=world.other_task_force_id,
            issue_id=other.id,
            kind="decision",
            level="leader",
            question="别处的问题",
            options=[],
            due_on=TODAY,
            raised_by_id=stranger.id,
        )
        db.session.add(escalation)
        db.session.commit()
        escalation_id = escalation.id
    assert login("leader").get(f"/escalations/{escalation_id}").status_code == 404


# --- the agenda ------------------------------------------------------------------------------


def test_the_agenda_proposes_pending_escalations_scheduled_ones_first(app, world, person, ctx):
    with task_force_scope(world.task_force_id):
        later = _escalate(person, world, question="后提的问题")
        service.schedule(person("exec_leader"), later, days(3))  # its due date
        with app.test_request_context():
            proposals = hooks.AGENDA.collect(world.task_force_id, "progress", None, days(7))
    mine = [p for p in proposals if p.subject_type == "escalation"]
    assert [p.subject_id for p in mine] == [later.id, world.ids["escalation"]]
    assert len({p.section for p in mine}) == 1


def test_the_agenda_leaves_out_decided_escalations(app, world, person, ctx):
    with task_force_scope(world.task_force_id):
        escalation = db.session.get(Escalation, world.ids["escalation"])
        service.decide(person("exec_leader"), escalation, service.DecisionInput(text="同意"))
        with app.test_request_context():
            proposals = hooks.AGENDA.collect(world.task_force_id, "progress", None, days(7))
    assert [p for p in proposals if p.subject_type == "escalation"] == []


# --- my items and the calendar ---------------------------------------------------------------


def test_my_items_shows_what_awaits_my_decision_and_what_i_raised(app, world, login):
    page = login("exec_leader").get("/my").get_data(as_text=True)
    assert 'data-testid="my-section-escalations"' in page and "归集产品是否先在长春分行试点" in page
    assert "归集产品是否先在长春分行试点" in login("member").get("/my").get_data(as_text=True)
    assert 'data-testid="my-section-escalations"' not in login("viewer").get("/my").get_data(
        as_text=True
    )


def test_the_calendar_shows_pending_decisions_on_their_due_date(app, world, ctx):
    with task_force_scope(world.task_force_id), app.test_request_context():
        events = hooks.CALENDAR.collect(None, world.task_force_id, TODAY, days(30))
        member = db.session.get(factories.User, world.users["member"])
        mine = hooks.CALENDAR.collect(member, world.task_force_id, TODAY, days(30))
        viewer = db.session.get(factories.User, world.users["viewer"])
        theirs = hooks.CALENDAR.collect(viewer, world.task_force_id, TODAY, days(30))
    escalation_events = [e for e in events if e.kind == "escalation"]
    assert [(e.uid, e.start) for e in escalation_events] == [
        (f"escalation-{world.ids['escalation']}@gongjian", days(3))
    ]
    assert [e.uid for e in mine if e.kind == "escalation"] == [escalation_events[0].uid]
    assert [e for e in theirs if e.kind == "escalation"] == []


def test_the_raise_page_is_refused_on_an_item_one_does_not_work_on(app, world, login, look):
    with look():
        other_id = _other_issue(world).id
    member = login("member")
    assert member.get(f"/issues/{other_id}/escalate").status_code == 403
    assert member.get(f"/issues/{world.issue_id}/escalate").status_code == 200
    assert login("leader").get(f"/issues/{other_id}/escalate").status_code == 200
    assert login("viewer").get(f"/issues/{world.issue_id}/escalate").status_code == 403


# --- a finished item -------------------------------------------------------------------------


def test_a_decision_applied_to_a_closed_item_is_refused_with_nothing_written(scoped, world, person):
    escalation = db.session.get(Escalation, world.ids["escalation"])
    issue = db.session.get(Issue, world.issue_id)
    issue.status = "closed"
    db.session.commit()
    before = (issue.deadline, issue.owner_id, issue.version)

    with pytest.raises(InvalidTransition) as refused:
        service.decide(
            person("exec_leader"),
            escalation,
            service.DecisionInput(text="延期两个月", new_deadline=days(60)),
        )

    assert issue.code in refused.value.message
    db.session.expire_all()
    issue = db.session.get(Issue, world.issue_id)
    assert (issue.deadline, issue.owner_id, issue.version) == before
    assert db.session.get(Escalation, escalation.id).status == "pending"
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_a_decision_that_changes_nothing_is_still_recorded_on_a_closed_item(scoped, world, person):
    escalation = db.session.get(Escalation, world.ids["escalation"])
    db.session.get(Issue, world.issue_id).status = "closed"
    db.session.commit()

    decision = service.decide(
        person("exec_leader"), escalation, service.DecisionInput(text="已解决，无需再议")
    )

    assert decision.id and escalation.status == "decided"


def test_the_escalation_page_of_a_closed_item_offers_no_change_to_it(app, world, login, look):
    with look():
        db.session.get(Issue, world.issue_id).status = "closed"
        db.session.commit()

    page = login("exec_leader").get(f"/escalations/{world.ids['escalation']}")

    html = page.get_data(as_text=True)
    form = html.split('data-testid="decision-form"', 1)[1].split("</form>", 1)[0]
    assert 'data-testid="item-read-only"' in form
    assert 'name="new_deadline"' not in form and 'name="new_owner_id"' not in form


def test_an_items_history_names_its_escalation_by_the_question(scoped, world, person):
    from app.core import history

    escalation = _escalate(person, world, question="是否先在长春分行试点？")
    rows = db.session.execute(
        select(AuditEvent, factories.User)
        .join(factories.User, factories.User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "issue", AuditEvent.action == "escalated")
    ).all()
    (line,) = history.describe(rows)
    (change,) = [c for c in line.changes if c.field == "escalation"]
    assert change.new == "是否先在长春分行试点？" != str(escalation.id)
