"""The workflow of an item (督办): assign → acknowledge → act → report → verify → close.

Who may move an item where, what each move needs, and what it leaves behind
(notifications, audit events). Service level, except the board's JSON answer at the end.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.core import clock
from app.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.core.models import AuditEvent, Notification
from app.extensions import db
from app.issues import service
from app.issues.labels import STATUS_LABELS
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    IN_PROGRESS,
    NEW,
    PLANNING,
    STATUSES,
    VERIFYING,
    Category,
)
from app.people.models import TaskForce
from tests.factories import make_issue, make_membership, make_user


@pytest.fixture
def person(scoped, person):
    """The service tests below work inside the first task force, as its pages do."""
    return person


@pytest.fixture
def item(world, person):
    """An item in the world's dimension, owned by ``owner`` (a persona or None)."""

    def make(status=NEW, owner="member", acknowledged=True, **fields):
        category = db.session.get(Category, world.category_id)
        owner_id = world.users[owner] if owner else None
        if owner_id and not acknowledged:
            fields.update(
                acknowledged_at=None,
                assigned_at=clock.now(),
                assigned_by_id=world.users["leader"],
            )
        return make_issue(category, status=status, owner_id=owner_id, **fields)

    return make


def move(actor, issue, target, reason="", note=""):
    service.change_status(actor, issue, target, reason=reason, verification_note=note)


def refusal(error_type, call, *args, **kwargs) -> str:
    """Run ``call`` in English, expect ``error_type``, return its message."""
    with force_locale("en"), pytest.raises(error_type) as caught:
        call(*args, **kwargs)
    return caught.value.message


def test_the_owner_takes_an_item_through_the_workflow_and_the_executive_leader_closes_it(
    item, person
):
    issue = item(NEW)
    owner, exec_leader = person("member"), person("exec_leader")

    move(owner, issue, PLANNING)
    move(owner, issue, IN_PROGRESS)
    move(owner, issue, VERIFYING)
    move(exec_leader, issue, CLOSED, note="归集功能已上线，抽查三家分行")

    assert issue.status == CLOSED
    assert issue.closed_by_id == exec_leader.id
    assert issue.closed_at == clock.now()
    assert issue.verification_note == "归集功能已上线，抽查三家分行"
    assert issue.percent == 100


@pytest.mark.parametrize(
    ("start", "target"),
    [(NEW, IN_PROGRESS), (PLANNING, IN_PROGRESS), (IN_PROGRESS, VERIFYING)],
)
def test_work_does_not_count_as_started_before_the_owner_acknowledges(item, person, start, target):
    issue = item(start, acknowledged=False)

    message = refusal(InvalidTransition, move, person("leader"), issue, target)

    assert "acknowledged" in message
    assert issue.status == start


def test_work_starts_once_the_owner_has_acknowledged(item, person):
    issue = item(PLANNING, acknowledged=False)
    owner = person("member")

    service.acknowledge(owner, issue)
    move(owner, issue, IN_PROGRESS)

    assert issue.status == IN_PROGRESS


def test_an_item_without_owner_cannot_start(item, person):
    issue = item(PLANNING, owner=None)

    message = refusal(InvalidTransition, move, person("leader"), issue, IN_PROGRESS)

    assert "owner" in message


@pytest.mark.parametrize("persona", ["leader", "exec_leader", "temp_member"])
def test_only_the_owner_acknowledges(item, person, persona):
    issue = item(NEW, acknowledged=False, collaborators=[person("temp_member")])

    refusal(PermissionDenied, service.acknowledge, person(persona), issue)

    assert issue.acknowledged_at is None


def test_an_assignment_is_acknowledged_once(item, person):
    issue = item(NEW)

    refusal(InvalidTransition, service.acknowledge, person("member"), issue)


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("leader", True), ("exec_leader", True), ("member", False), ("temp_member", False)],
)
def test_only_the_leader_or_executive_leader_closes(item, person, persona, allowed):
    issue = item(VERIFYING, collaborators=[person("temp_member")])

    if allowed:
        move(person(persona), issue, CLOSED, note="已验收")
        assert issue.status == CLOSED
    else:
        refusal(PermissionDenied, move, person(persona), issue, CLOSED, note="已验收")
        assert issue.status == VERIFYING


def test_closing_needs_a_verification_note(item, person):
    issue = item(VERIFYING)

    with pytest.raises(ValidationFailed) as caught:
        move(person("exec_leader"), issue, CLOSED, note="  ")

    assert caught.value.field == "verification_note"
    assert issue.status == VERIFYING


@pytest.mark.parametrize(
    ("start", "target", "persona"),
    [
        (IN_PROGRESS, BLOCKED, "member"),
        (PLANNING, DROPPED, "leader"),
        (BLOCKED, DROPPED, "exec_leader"),
        (CLOSED, IN_PROGRESS, "leader"),
        (DROPPED, PLANNING, "leader"),
        (VERIFYING, IN_PROGRESS, "member"),
    ],
)
def test_blocking_dropping_reopening_and_sending_back_need_a_reason(
    item, person, start, target, persona
):
    issue = item(start)
    actor = person(persona)

    with pytest.raises(ValidationFailed) as caught:
        move(actor, issue, target, reason=" ")
    assert caught.value.field == "reason"
    assert issue.status == start

    move(actor, issue, target, reason="分行系统改造排期推迟")
    assert issue.status == target
    assert issue.status_reason == "分行系统改造排期推迟"


def test_an_unblocked_item_remembers_where_it_was(item, person):
    issue = item(VERIFYING)
    owner = person("member")

    move(owner, issue, BLOCKED, reason="等待总行审批")
    move(owner, issue, VERIFYING)

    assert issue.resume_status == VERIFYING
    assert issue.status == VERIFYING


def test_reopening_a_closed_item_clears_the_closure(item, person):
    issue = item(VERIFYING)
    leader = person("leader")
    move(leader, issue, CLOSED, note="已验收")

    move(leader, issue, IN_PROGRESS, reason="分行反馈仍有问题")

    assert issue.status == IN_PROGRESS
    assert issue.closed_at is None
    assert issue.closed_by_id is None


@pytest.mark.parametrize(
    ("start", "target"),
    [(NEW, CLOSED), (NEW, VERIFYING), (PLANNING, CLOSED), (CLOSED, NEW), (DROPPED, CLOSED)],
)
def test_a_forbidden_move_is_refused_with_both_statuses_named(item, person, start, target):
    issue = item(start)

    message = refusal(InvalidTransition, move, person("leader"), issue, target, "因为", "已验收")

    with force_locale("en"):
        assert str(STATUS_LABELS[start]) in message
        assert str(STATUS_LABELS[target]) in message
    assert issue.status == start


def test_a_member_who_neither_owns_nor_collaborates_cannot_change_or_edit(world, item, person):
    issue = item(IN_PROGRESS, owner="exec_leader")
    member = person("member")
    data = service.IssueInput(title="改个标题", category_id=issue.category_id)

    refusal(PermissionDenied, move, member, issue, PLANNING)
    refusal(PermissionDenied, service.update_issue, member, issue, data, issue.version)
    refusal(PermissionDenied, service.add_progress, member, issue, "我来推进")
    assert service.allowed_transitions(member, issue) == []
    assert issue.status == IN_PROGRESS
    assert issue.title != "改个标题"


def test_a_collaborator_works_on_the_item(item, person):
    issue = item(IN_PROGRESS, collaborators=[person("temp_member")])

    service.add_progress(person("temp_member"), issue, "完成长春分行试点", 40)
    move(person("temp_member"), issue, VERIFYING)

    assert issue.percent == 40
    assert issue.status == VERIFYING


@pytest.mark.parametrize("persona", ["viewer", "expired_temp", "outsider", "frontline"])
def test_those_who_do_not_work_on_the_task_force_cannot_create(world, person, persona):
    data = service.IssueInput(title="私人银行客户流失", category_id=world.category_id)

    refusal(PermissionDenied, service.create_issue, person(persona), world.task_force_id, data)


def test_a_member_creates_an_item_for_themselves_acknowledged(world, person):
    member = person("member")
    data = service.IssueInput(
        title="理财子公司产品准入", category_id=world.category_id, owner_id=member.id
    )

    issue = service.create_issue(member, world.task_force_id, data)

    assert issue.owner_id == member.id
    assert issue.acknowledged_at is not None
    assert issue.status == NEW


def test_a_member_creating_an_item_for_someone_else_is_refused(world, person):
    data = service.IssueInput(
        title="理财子公司产品准入",
        category_id=world.category_id,
        owner_id=world.users["temp_member"],
    )

    with pytest.raises(ValidationFailed) as caught:
        service.create_issue(person("member"), world.task_force_id, data)

    assert caught.value.field == "owner_id"


def notifications_for(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user_id)
            .order_by(Notification.id)
        )
    )


def test_assigning_an_item_notifies_the_owner_who_must_acknowledge(world, person):
    leader, member = person("leader"), person("member")
    data = service.IssueInput(
        title="信托公司合作准入", category_id=world.category_id, owner_id=member.id
    )

    issue = service.create_issue(leader, world.task_force_id, data)

    assert issue.acknowledged_at is None
    assert issue.assigned_by_id == leader.id
    [message] = notifications_for(member.id)
    assert message.kind == "assignment"
    assert message.link == f"/issues/{issue.id}"
    assert issue.code in message.text


def test_reassigning_an_item_resets_the_acknowledgement_and_notifies_the_new_owner(
    world, item, person
):
    issue = item(IN_PROGRESS)
    assert issue.acknowledged_at is not None
    new_owner = person("temp_member")
    data = service.IssueInput(
        title=issue.title, category_id=issue.category_id, owner_id=new_owner.id
    )

    changes = service.update_issue(person("leader"), issue, data, issue.version)

    assert changes["owner_id"] == [world.users["member"], new_owner.id]
    assert issue.owner_id == new_owner.id
    assert issue.acknowledged_at is None
    assert [n.kind for n in notifications_for(new_owner.id)] == ["assignment"]


def test_acknowledging_notifies_the_assigner(world, item, person):
    issue = item(NEW, acknowledged=False)

    service.acknowledge(person("member"), issue)

    assert issue.acknowledged_at == clock.now()
    [message] = notifications_for(world.users["leader"])
    assert message.kind == "acknowledged"
    assert issue.code in message.text


def test_reporting_for_verification_notifies_the_executive_leaders(world, item, person):
    issue = item(IN_PROGRESS)

    move(person("member"), issue, VERIFYING)

    assert [n.kind for n in notifications_for(world.users["exec_leader"])] == ["status"]
    assert notifications_for(world.users["member"]) == []


def test_status_changes_are_audited_with_old_and_new_values(item, person):
    issue = item(IN_PROGRESS)
    owner, leader = person("member"), person("leader")

    move(owner, issue, BLOCKED, reason="等待监管回复")
    move(leader, issue, DROPPED, reason="监管不予批准")

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "issue", AuditEvent.entity_id == issue.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.changes["status"]) for e in events] == [
        ("status_changed", owner.id, [IN_PROGRESS, BLOCKED]),
        ("status_changed", leader.id, [BLOCKED, DROPPED]),
    ]
    assert events[1].changes["status_reason"] == [None, "监管不予批准"]
    assert events[1].task_force_id == issue.task_force_id


@pytest.mark.parametrize(
    "persona", ["leader", "exec_leader", "member", "temp_member", "stranger_member", "viewer"]
)
def test_allowed_transitions_lists_exactly_what_change_status_accepts(world, item, person, persona):
    """For every status, acknowledged or not: the buttons offered are the moves accepted."""
    if persona == "stranger_member":  # a member with no part in the item
        actor = make_user("stranger_member")
        make_membership(actor, db.session.get(TaskForce, world.task_force_id))
    else:
        actor = person(persona)
    mismatches = []
    for acknowledged in (True, False):
        issue = item(NEW, acknowledged=acknowledged, collaborators=[person("temp_member")])
        for start in STATUSES:
            issue.status = start
            db.session.commit()
            offered = set(service.allowed_transitions(actor, issue))
            accepted = set()
            for target in set(STATUSES) - {start}:
                try:
                    move(actor, issue, target, reason="理由", note="已验收")
                except (InvalidTransition, PermissionDenied):
                    continue
                accepted.add(target)
                issue.status = start
                db.session.commit()
            if offered != accepted:
                mismatches.append((start, acknowledged, sorted(offered), sorted(accepted)))
    assert mismatches == []


# --- over HTTP, as the board's drag and drop uses it -----------------------------------------


def _version(look, issue_id) -> int:
    with look():
        return service.get_issue(issue_id).version


def _post_status(client, issue_id, status, version, **data):
    return client.post(
        f"/issues/{issue_id}/status",
        data={"status": status, "version": version, **data},
        headers={"Accept": "application/json"},
    )


def test_a_forbidden_move_answers_409_with_the_reason_in_json(app, world, login, look):
    client = login("leader")
    version = _version(look, world.issue_id)

    response = _post_status(client, world.issue_id, CLOSED, version, verification_note="已验收")

    assert response.status_code == 409
    assert response.json["ok"] is False
    assert response.json["message"]
    with look():
        assert service.get_issue(world.issue_id).status == IN_PROGRESS


def test_an_allowed_move_answers_ok_with_the_new_status_and_version(app, world, login, look):
    client = login("member")
    version = _version(look, world.issue_id)

    response = _post_status(client, world.issue_id, VERIFYING, version)

    assert response.status_code == 200
    assert response.json["ok"] is True
    assert response.json["status"] == VERIFYING
    assert response.json["version"] == version + 1
    with look():
        assert service.get_issue(world.issue_id).status == VERIFYING


def test_a_move_from_a_stale_card_answers_409(app, world, login, look):
    client = login("member")
    version = _version(look, world.issue_id)
    _post_status(client, world.issue_id, VERIFYING, version)

    response = _post_status(client, world.issue_id, BLOCKED, version, reason="等待")

    assert response.status_code == 409
    assert response.json["ok"] is False
    with look():
        assert service.get_issue(world.issue_id).status == VERIFYING


def test_an_item_of_another_task_force_cannot_be_moved(app, world, login, look):
    client = login("leader")

    response = _post_status(client, world.other_issue_id, PLANNING, 1)

    assert response.status_code == 404
