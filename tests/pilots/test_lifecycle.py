"""A pilot's life: planned → running → reviewing → decided → rolling out → completed,
and who may move it at each step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.pilots import service
from app.pilots.models import (
    COMPLETED,
    DECIDED,
    DONE,
    NOT_APPLICABLE,
    REVIEWING,
    ROLLING_OUT,
    RUNNING,
    STOPPED,
)
from tests import factories
from tests.pilots.conftest import days

pytestmark = pytest.mark.usefixtures("scoped")


def test_the_leaders_create_pilots_and_members_do_not(world, person):
    data = service.PilotInput(name="长春分行私人银行中心改革", owner_id=world.users["member"])
    pilot = service.create_pilot(person("exec_leader"), world.task_force_id, data)
    assert pilot.status == "planned"
    assert db.session.query(Notification).filter_by(recipient_id=world.users["member"]).count() == 1
    with pytest.raises(PermissionDenied):
        service.create_pilot(person("member"), world.task_force_id, data)


def test_the_owner_runs_the_pilot_and_opens_its_review(make_pilot, person):
    pilot = make_pilot(starts_on=None)
    service.change_status(person("member"), pilot, RUNNING)
    assert pilot.status == RUNNING and pilot.starts_on is not None
    service.change_status(person("member"), pilot, REVIEWING)
    assert pilot.status == REVIEWING
    assert db.session.query(AuditEvent).filter_by(entity_type="pilot", action="status").count() == 2


@pytest.mark.parametrize("persona", ["viewer", "frontline", "outsider"])
def test_people_outside_the_work_cannot_move_a_pilot(make_pilot, person, persona):
    pilot = make_pilot()
    with pytest.raises(PermissionDenied):
        service.change_status(person(persona), pilot, RUNNING)


def test_a_member_who_neither_owns_nor_rolls_out_the_pilot_cannot_move_it(
    world, make_pilot, person
):
    other = factories.make_user("other_member")
    factories.make_membership(other, db.session.get(factories.TaskForce, world.task_force_id))
    pilot = make_pilot()
    with pytest.raises(PermissionDenied):
        service.change_status(other, pilot, RUNNING)
    service.change_status(person("leader"), pilot, RUNNING)  # the leaders may


def test_stages_cannot_be_skipped(make_pilot, person):
    pilot = make_pilot()
    with pytest.raises(InvalidTransition):
        service.change_status(person("leader"), pilot, REVIEWING)
    with pytest.raises(InvalidTransition):
        service.change_status(person("leader"), pilot, ROLLING_OUT)


def test_no_decision_without_a_review(make_pilot, person):
    pilot = make_pilot(status=REVIEWING)
    with pytest.raises(InvalidTransition, match="复盘"):
        service.decide(person("leader"), pilot, "roll_out", "效果好")
    service.record_review(person("member"), pilot, "专业化团队", "系统支撑不足", "先试点后推广")
    service.decide(person("leader"), pilot, "roll_out", "效果好")
    assert pilot.status == DECIDED
    assert pilot.decision == "roll_out"
    assert pilot.decided_by_id == person("leader").id
    assert pilot.decided_at is not None


def test_only_the_leaders_decide(make_pilot, person):
    pilot = make_pilot(status=REVIEWING, reviewed=True)
    for persona in ("member", "temp_member", "viewer"):
        with pytest.raises(PermissionDenied):
            service.decide(person(persona), pilot, "roll_out", "好")
    service.decide(person("exec_leader"), pilot, "stop", "成本过高")
    assert pilot.status == STOPPED


def test_a_decision_needs_reasons_and_an_extension_a_new_end(make_pilot, person):
    pilot = make_pilot(status=REVIEWING, reviewed=True)
    with pytest.raises(ValidationFailed) as error:
        service.decide(person("leader"), pilot, "roll_out", "  ")
    assert error.value.field == "rationale"
    with pytest.raises(ValidationFailed) as error:
        service.decide(person("leader"), pilot, "extend", "再看一季")
    assert error.value.field == "planned_end"
    service.decide(person("leader"), pilot, "extend", "再看一季", planned_end=days(90))
    assert pilot.status == RUNNING and pilot.planned_end == days(90)


def test_the_review_is_written_only_under_review(make_pilot, person):
    pilot = make_pilot(status=RUNNING)
    with pytest.raises(InvalidTransition):
        service.record_review(person("member"), pilot, "a", "b", "c")


def test_rolling_out_needs_a_rollout_plan(make_pilot, make_unit, add_rollout, person):
    pilot = make_pilot(status=DECIDED, reviewed=True, decision="roll_out")
    with pytest.raises(InvalidTransition, match="推广计划"):
        service.change_status(person("member"), pilot, ROLLING_OUT)
    add_rollout(pilot, make_unit("四平分行"), status=NOT_APPLICABLE)
    db.session.refresh(pilot)
    with pytest.raises(InvalidTransition):
        service.change_status(person("member"), pilot, ROLLING_OUT)
    service.plan_rollout(person("member"), pilot, [make_unit("吉林分行").id])
    service.change_status(person("member"), pilot, ROLLING_OUT)
    assert pilot.status == ROLLING_OUT


def test_a_rollout_is_planned_only_after_deciding_to_roll_out(make_pilot, make_unit, person):
    pilot = make_pilot(status=REVIEWING, reviewed=True)
    with pytest.raises(InvalidTransition):
        service.plan_rollout(person("leader"), pilot, [make_unit("吉林分行").id])


def test_completing_needs_every_unit_finished_and_a_leader(
    make_pilot, make_unit, add_rollout, person
):
    pilot = make_pilot(status=ROLLING_OUT, reviewed=True, decision="roll_out")
    task = add_rollout(pilot, make_unit("吉林分行"), owner="temp_member")
    add_rollout(pilot, make_unit("四平分行"), status=NOT_APPLICABLE)
    db.session.refresh(pilot)
    assert service.allowed_transitions(person("member"), pilot) == []
    with pytest.raises(PermissionDenied):
        service.change_status(person("member"), pilot, COMPLETED)
    with pytest.raises(InvalidTransition):
        service.change_status(person("leader"), pilot, COMPLETED)
    service.update_rollout(person("temp_member"), task, service.RolloutInput(status=DONE))
    service.change_status(person("leader"), pilot, COMPLETED)
    assert pilot.status == COMPLETED and pilot.completed_at is not None


def test_a_rollout_owner_updates_their_task_and_no_other(
    world, make_pilot, make_unit, add_rollout, person
):
    pilot = make_pilot(status=ROLLING_OUT, reviewed=True, decision="roll_out")
    mine = add_rollout(pilot, make_unit("吉林分行"), owner="temp_member")
    theirs = add_rollout(pilot, make_unit("延边分行"), owner="leader")
    service.update_rollout(
        person("temp_member"), mine, service.RolloutInput(status=DONE, owner_id=mine.owner_id)
    )
    assert mine.status == DONE and mine.done_on == days(0)
    with pytest.raises(PermissionDenied):
        service.update_rollout(person("temp_member"), theirs, service.RolloutInput(status=DONE))
    # The pilot's owner may update every unit of their pilot.
    service.update_rollout(
        person("member"),
        theirs,
        service.RolloutInput(status="in_progress", owner_id=theirs.owner_id),
    )


def test_results_are_recorded_against_objectives(make_pilot, person):
    pilot = make_pilot(status=RUNNING)
    objective = service.add_objective(
        person("member"), pilot, "私行客户数", "户", Decimal("100"), Decimal("150")
    )
    service.record_result(person("member"), objective, Decimal("160"))
    assert objective.actual == Decimal("160") and objective.measured_on == days(0)
    assert objective.met is True
    with pytest.raises(ValidationFailed):
        service.record_result(person("member"), objective, Decimal("1"), days(3))
    with pytest.raises(PermissionDenied):
        service.record_result(person("viewer"), objective, Decimal("1"))


def test_an_objective_whose_target_is_below_its_baseline_is_met_by_falling(make_pilot, person):
    pilot = make_pilot(status=RUNNING)
    objective = service.add_objective(
        person("member"), pilot, "客户流失率", "%", Decimal("8"), Decimal("5")
    )
    service.record_result(person("member"), objective, Decimal("6"))
    assert objective.met is False
    service.record_result(person("member"), objective, Decimal("4.5"))
    assert objective.met is True
