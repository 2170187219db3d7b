"""Closing means closed: 销号 with open work asks first and records it; a closed or dropped
item is read-only until it is reopened with a reason. Service level first, then pages."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.core import clock
from app.core.errors import ConfirmationRequired, InvalidTransition, PermissionDenied
from app.core.models import AuditEvent
from app.extensions import db
from app.issues import service
from app.issues.models import (
    CLOSED,
    DROPPED,
    IN_PROGRESS,
    PLANNING,
    VERIFYING,
    Category,
    Issue,
    Milestone,
    Subtask,
)
from tests.factories import make_issue
from tests.issues.conftest import days


@pytest.fixture
def person(scoped, person):
    return person


@pytest.fixture
def item(world):
    """An item of "member" in ``status`` with one open milestone and one open subtask."""

    def make(status=VERIFYING, done=False):
        category = db.session.get(Category, world.category_id)
        issue = make_issue(
            category, "代销理财签约线上化", status=status, owner_id=world.users["member"]
        )
        db.session.add_all(
            [
                Milestone(
                    task_force_id=issue.task_force_id,
                    issue_id=issue.id,
                    title="分行推广",
                    due_on=days(10),
                    done_on=days(-1) if done else None,
                ),
                Subtask(
                    task_force_id=issue.task_force_id,
                    issue_id=issue.id,
                    title="培训理财经理",
                    owner_id=world.users["member"],
                    deadline=days(5),
                    done_at=clock.now() if done else None,
                ),
            ]
        )
        db.session.commit()
        return issue

    return make


def close(actor, issue, confirmed=False):
    service.change_status(
        actor, issue, CLOSED, verification_note="抽查三家分行，签约已线上化", confirmed=confirmed
    )


def test_closing_an_item_with_open_milestones_or_subtasks_asks_first(item, person):
    issue = item()

    with force_locale("en"), pytest.raises(ConfirmationRequired) as asked:
        close(person("exec_leader"), issue)

    assert issue.code in asked.value.message
    assert asked.value.details == [
        "Milestone “分行推广”, due 2024-06-13",
        f"Subtask “培训理财经理” ({person('member').display_name}, due 2024-06-08)",
    ]
    db.session.refresh(issue)
    assert issue.status == VERIFYING


def test_the_verification_note_is_still_required_before_anything_is_asked(item, person):
    issue = item()

    with pytest.raises(Exception) as caught:
        service.change_status(person("exec_leader"), issue, CLOSED, verification_note=" ")

    assert getattr(caught.value, "field", None) == "verification_note"
    assert issue.status == VERIFYING


def test_closing_anyway_records_what_was_still_open_with_the_verification_and_in_history(
    item, person
):
    issue = item()

    close(person("exec_leader"), issue, confirmed=True)

    assert issue.status == CLOSED
    record = {
        "milestones": [{"title": "分行推广", "due_on": "2024-06-13"}],
        "subtasks": [
            {
                "title": "培训理财经理",
                "deadline": "2024-06-08",
                "owner": person("member").display_name,
            }
        ],
    }
    assert issue.open_at_closing == record
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "issue",
            AuditEvent.entity_id == issue.id,
            AuditEvent.action == "status_changed",
        )
    ).one()
    assert event.changes["open_at_closing"] == [None, record]
    assert event.changes["status"] == [VERIFYING, CLOSED]
    with force_locale("zh_CN"):
        assert service.describe_open_work(record)[0] == "里程碑“分行推广”，2024-06-13 到期"


def test_closing_an_item_whose_work_is_done_asks_nothing_and_records_nothing(item, person):
    issue = item(done=True)

    close(person("exec_leader"), issue)

    assert issue.status == CLOSED
    assert issue.open_at_closing is None


def test_reopening_clears_the_record_of_open_work(item, person):
    issue = item()
    close(person("leader"), issue, confirmed=True)

    service.change_status(person("leader"), issue, IN_PROGRESS, reason="分行反馈仍有问题")

    assert issue.open_at_closing is None


def _edit(actor, issue):
    data = service.IssueInput(title="改标题", category_id=issue.category_id)
    service.update_issue(actor, issue, data, issue.version)


CHANGES = {
    "edit": _edit,
    "add milestone": lambda actor, issue: service.add_milestone(actor, issue, "复盘", days(30)),
    "tick milestone": lambda actor, issue: service.set_milestone_done(
        actor, issue.milestones[0], True
    ),
    "reschedule milestone": lambda actor, issue: service.reschedule_milestone(
        actor, issue.milestones[0], days(40)
    ),
    "add subtask": lambda actor, issue: service.add_subtask(actor, issue, "补充材料"),
    "tick subtask": lambda actor, issue: service.set_subtask_done(actor, issue.subtasks[0], True),
    "progress": lambda actor, issue: service.add_progress(actor, issue, "又推进了一步", 90),
    "attachment": lambda actor, issue: service.add_attachment(
        actor, issue, "验收.pdf", b"%PDF-1.4 x"
    ),
}


@pytest.mark.parametrize("status", [CLOSED, DROPPED])
@pytest.mark.parametrize("change", sorted(CHANGES))
@pytest.mark.parametrize("persona", ["member", "exec_leader"])
def test_a_closed_or_dropped_item_is_read_only(item, person, status, change, persona):
    issue = item(status=status)
    before = (issue.version, issue.title, issue.percent)

    with force_locale("en"), pytest.raises(InvalidTransition) as refused:
        CHANGES[change](person(persona), issue)

    assert "reopen it with a reason" in refused.value.message
    db.session.rollback()
    issue = db.session.get(Issue, issue.id)
    assert (issue.version, issue.title, issue.percent) == before
    assert len(issue.milestones) == 1 and issue.milestones[0].done_on is None
    assert issue.milestones[0].due_on == days(10)
    assert len(issue.subtasks) == 1 and issue.subtasks[0].done_at is None


def test_an_assignment_on_a_closed_item_is_not_acknowledged(world, person):
    category = db.session.get(Category, world.category_id)
    issue = make_issue(
        category, status=CLOSED, owner_id=world.users["member"], acknowledged_at=None
    )

    with pytest.raises(InvalidTransition):
        service.acknowledge(person("member"), issue)

    assert issue.acknowledged_at is None


def test_a_decision_cannot_change_a_closed_item_but_may_leave_it_alone(item, person):
    issue = item(status=CLOSED)
    leader = person("leader")

    with pytest.raises(InvalidTransition):
        service.apply_outcome(leader, issue, deadline=days(60), reason="延期")
    with pytest.raises(InvalidTransition):
        service.apply_outcome(leader, issue, owner_id=person("exec_leader").id, reason="换人")

    assert service.apply_outcome(leader, issue, deadline=issue.deadline, reason="维持") == {}


def test_a_reopened_item_can_be_changed_again(item, person):
    issue = item(status=DROPPED)
    leader = person("leader")

    service.change_status(leader, issue, PLANNING, reason="总行重新立项")
    service.add_milestone(leader, issue, "重新排期", days(30))

    assert [m.title for m in issue.milestones] == ["分行推广", "重新排期"]


# --- pages -------------------------------------------------------------------------------


@pytest.fixture
def verifying(app, world):
    """The world's item, waiting for verification, with its open milestone and subtask."""
    from app.core.scope import unscoped

    with app.app_context(), unscoped():
        issue = db.session.get(Issue, world.issue_id)
        issue.status = VERIFYING
        db.session.commit()
        return issue.version


def _close(client, world, version, **extra):
    return client.post(
        f"/issues/{world.issue_id}/status",
        data={
            "status": CLOSED,
            "version": version,
            "verification_note": "现场验收通过",
            **extra,
        },
    )


def test_the_closing_form_asks_to_confirm_listing_what_is_open(app, world, login, look, verifying):
    client = login("exec_leader")

    response = _close(client, world, verifying)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert 'data-testid="close-confirmation"' in page
    assert "上线" in page and "需求评审" in page
    assert "现场验收通过" in page  # the note typed is kept
    assert 'name="confirm" value="1"' in page
    with look():
        assert db.session.get(Issue, world.issue_id).status == VERIFYING

    response = _close(client, world, verifying, confirm="1")

    assert response.status_code == 302
    with look():
        issue = db.session.get(Issue, world.issue_id)
        assert issue.status == CLOSED
        assert [m["title"] for m in issue.open_at_closing["milestones"]] == ["上线"]


def test_the_board_is_asked_to_confirm_in_json(app, world, login, look, verifying):
    client = login("exec_leader")
    headers = {"Accept": "application/json"}
    data = {"status": CLOSED, "version": verifying, "verification_note": "现场验收通过"}

    asked = client.post(f"/issues/{world.issue_id}/status", data=data, headers=headers)

    assert asked.status_code == 409
    assert asked.json["confirm"] is True and asked.json["ok"] is False
    assert any("上线" in line for line in asked.json["details"])
    done = client.post(
        f"/issues/{world.issue_id}/status", data={**data, "confirm": "1"}, headers=headers
    )
    assert done.status_code == 200 and done.json["status"] == CLOSED


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_closed_items_page_shows_what_was_open_and_offers_no_change(
    app, world, login, look, verifying, language
):
    exec_leader = login("exec_leader")
    _close(exec_leader, world, verifying, confirm="1")
    owner = login("member")
    owner.post("/locale", data={"locale": language, "next": "/"})

    page = owner.get(f"/issues/{world.issue_id}").get_data(as_text=True)

    assert 'data-testid="open-at-closing"' in page
    assert 'data-testid="history-open-at-closing"' in page
    if language == "en":
        assert "Still open when closed" in page and "Milestone “上线”" in page
    else:
        assert "销号时仍未完成" in page and "里程碑“上线”" in page
    for control in (
        "/milestones",  # add, tick, reschedule
        "/subtasks",
        '/attachments"',
        "/progress",
        f"/issues/{world.issue_id}/edit",
    ):
        assert f'action="/issues/{world.issue_id}{control}' not in page, control
    assert f"/milestones/{world.milestone_id}/reschedule" not in page
    assert f"/subtasks/{world.subtask_id}/done" not in page
    assert f'href="/issues/{world.issue_id}/edit"' not in page
    assert 'data-testid="read-only-note"' in page


def test_a_closed_item_refuses_changes_over_http_with_a_message(app, world, login, look, verifying):
    _close(login("exec_leader"), world, verifying, confirm="1")
    owner = login("member")

    edit = owner.get(f"/issues/{world.issue_id}/edit")
    assert edit.status_code == 302
    assert "重新打开" in owner.get(edit.headers["Location"]).get_data(as_text=True)
    added = owner.post(
        f"/issues/{world.issue_id}/milestones", data={"title": "再加一步", "due_on": "2024-07-01"}
    )
    assert added.status_code == 302
    assert "重新打开" in owner.get(added.headers["Location"]).get_data(as_text=True)
    owner.post(f"/milestones/{world.milestone_id}/reschedule", data={"due_on": "2024-08-01"})
    owner.post(f"/subtasks/{world.subtask_id}/done", data={"done": "1"})
    with look():
        assert db.session.get(Milestone, world.milestone_id).due_on == days(20)
        assert db.session.get(Subtask, world.subtask_id).done_at is None
        assert len(db.session.get(Issue, world.issue_id).milestones) == 1


def test_a_decision_s_outcome_goes_through_the_workflow_s_own_steps(item, person, world):
    # Unblocking is the status change (its message to the owner), a new deadline the
    # reschedule, a new owner the reassignment (its message to the new owner); the
    # changes are audited together as the decision.
    from app.core.models import Notification

    issue = item(status=IN_PROGRESS)
    issue.acknowledged_at = clock.now()
    service.change_status(person("member"), issue, "blocked", reason="等待总行批复")
    leader = person("leader")

    changes = service.apply_outcome(
        leader,
        issue,
        unblock=True,
        deadline=days(45),
        owner_id=world.users["temp_member"],
        reason="先试点",
    )

    assert set(changes) == {"status", "deadline", "owner_id"}
    assert (issue.status, issue.deadline, issue.owner_id) == (
        IN_PROGRESS,
        days(45),
        world.users["temp_member"],
    )
    told = {
        (message.kind, message.recipient_id)
        for message in db.session.scalars(
            select(Notification).where(Notification.subject_id == issue.id)
        )
    }
    assert ("status", world.users["member"]) in told
    assert ("assignment", world.users["temp_member"]) in told
    decided = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_id == issue.id, AuditEvent.action == "decided")
    ).one()
    assert set(decided.changes) == {"status", "deadline", "owner_id"}


def test_rescheduling_and_reassigning_are_workflow_steps_of_their_own(item, person, world):
    issue = item(status=IN_PROGRESS)
    leader = person("leader")

    assert set(service.reschedule(leader, issue, days(30))) == {"deadline"}
    assert issue.deadline == days(30)
    assert service.reassign(leader, issue, world.users["temp_member"])["owner_id"] == [
        world.users["member"],
        world.users["temp_member"],
    ]
    actions = set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == issue.id))
    )
    assert {"rescheduled", "reassigned"} <= actions
    with pytest.raises(PermissionDenied):
        service.reassign(person("member"), issue, world.users["member"])
