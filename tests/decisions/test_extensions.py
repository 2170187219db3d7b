"""Deadline extension requests (延期申请, issue 17): who asks and who decides, the deadline
and the light moved by an approval in the same unit of work, the messages, the item's page
and "my items"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.errors import InvalidTransition, PermissionDenied, StaleEdit, ValidationFailed
from app.core.links import in_task_force
from app.core.models import AuditEvent, Notification
from app.core.scope import task_force_scope
from app.core.unit import committing
from app.decisions.extensions import APPROVED, DECLINED, PENDING, DeadlineExtension
from app.decisions.service import extensions as service
from app.extensions import db
from app.issues.lights import LightRules, light_of
from app.issues.models import Issue
from tests import factories

from .conftest import days


def _issue(world) -> Issue:
    return db.session.get(Issue, world.issue_id)  # owned by "member", due in 30 days


def _ask(
    person, world, who="member", new=None, reason="系统对接延后，需要多两周"
) -> DeadlineExtension:
    return service.request_extension(person(who), _issue(world), new or days(44), reason)


def _light(issue: Issue) -> str:
    db.session.flush()
    return light_of(issue, LightRules.current())


# --- asking ------------------------------------------------------------------------------------


def test_the_owner_asks_and_the_deciders_are_told(scoped, world, person):
    person("exec_leader").locale = "en"  # each decider is told in their own language
    extension = _ask(person, world)
    assert extension.status == PENDING
    assert extension.current_deadline == days(30) and extension.requested_deadline == days(44)
    assert _issue(world).deadline == days(30)  # nothing moves before a decision
    told = db.session.scalars(select(Notification).where(Notification.kind == "extension")).all()
    recipients = {n.recipient_id for n in told}
    assert recipients == {world.users["leader"], world.users["exec_leader"]}
    message = next(n for n in told if n.recipient_id == world.users["exec_leader"])
    assert message.link == f"/issues/{world.issue_id}#panel-extensions"
    assert message.task_force_id == world.task_force_id  # the link opens there (?tf=)
    assert "2024-07-17" in message.text and "系统对接延后" in message.text
    assert message.text.startswith(f"{person('member').display_name} asks to move the deadline")
    leader_message = next(n for n in told if n.recipient_id == world.users["leader"])
    assert "申请将" in leader_message.text
    # Delivered, the link opens the item in its task force, like other messages' links.
    assert in_task_force(message.link, message.task_force_id) == (
        f"/issues/{world.issue_id}?tf={world.task_force_id}#panel-extensions"
    )
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"requested", "extension_requested"} <= actions


def test_a_major_item_tells_the_leader_alone(scoped, world, person):
    _issue(world).major = True
    _ask(person, world)
    told = db.session.scalars(
        select(Notification.recipient_id).where(Notification.kind == "extension")
    ).all()
    assert told == [world.users["leader"]]


@pytest.mark.parametrize("who", ["temp_member", "leader", "exec_leader", "viewer"])
def test_only_the_owner_asks(scoped, world, person, who):
    # temp_member collaborates on the item, the leaders run the task force: not enough.
    with pytest.raises(PermissionDenied):
        _ask(person, world, who=who)


def test_the_new_deadline_is_later_not_past_and_a_reason_is_given(scoped, world, person):
    for new, field in ((days(30), "new_deadline"), (days(10), "new_deadline")):
        with pytest.raises(ValidationFailed) as refused:
            _ask(person, world, new=new)
        assert refused.value.field == field
    issue = _issue(world)
    issue.deadline = days(-5)
    with pytest.raises(ValidationFailed) as past:
        _ask(person, world, new=days(-1))  # later than the deadline, but in the past
    assert past.value.field == "new_deadline"
    with pytest.raises(ValidationFailed) as no_reason:
        _ask(person, world, reason="   ")
    assert no_reason.value.field == "reason"


def test_one_pending_request_per_item(scoped, world, person):
    _ask(person, world)
    with pytest.raises(InvalidTransition):
        _ask(person, world, new=days(50))


@pytest.mark.parametrize("status", ["closed", "dropped"])
def test_a_finished_item_cannot_ask(scoped, world, person, status):
    _issue(world).status = status
    with pytest.raises(InvalidTransition):
        _ask(person, world)


# --- deciding ----------------------------------------------------------------------------------


def test_approval_moves_the_deadline_and_tells_the_owner(scoped, world, person):
    extension = _ask(person, world)
    service.decide_extension(person("exec_leader"), extension, True, "同意", extension.version)
    issue = _issue(world)
    assert issue.deadline == days(44)
    assert extension.status == APPROVED and extension.decided_by_id == world.users["exec_leader"]
    told = db.session.scalars(
        select(Notification).where(
            Notification.kind == "extension_decided",
            Notification.recipient_id == world.users["member"],
        )
    ).one()
    assert "2024-07-17" in told.text
    # The problem list's own reschedule recorded the move on the item.
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rescheduled")).one()
    assert moved.entity_id == issue.id
    assert moved.changes["deadline"] == [days(30).isoformat(), days(44).isoformat()]


def test_declining_needs_a_comment_and_leaves_the_deadline(scoped, world, person):
    extension = _ask(person, world)
    with pytest.raises(ValidationFailed) as refused:
        service.decide_extension(person("exec_leader"), extension, False, " ")
    assert refused.value.field == "comment"
    service.decide_extension(person("exec_leader"), extension, False, "先按原计划推进")
    assert extension.status == DECLINED and _issue(world).deadline == days(30)
    # The owner may ask again once the first request is decided.
    assert _ask(person, world, new=days(37)).status == PENDING


def test_the_light_judges_by_the_approved_deadline(scoped, world, person):
    issue = _issue(world)
    issue.deadline = days(-2)
    assert _light(issue) == "red"
    extension = _ask(person, world, new=days(40))
    assert _light(issue) == "red"  # a request changes nothing
    service.decide_extension(person("exec_leader"), extension, True)
    assert _light(issue) == "green"
    soon = _ask(person, world, new=days(43))
    service.decide_extension(person("leader"), soon, False, "不同意")
    assert _light(issue) == "green"
    issue.deadline = days(-1)
    again = _ask(person, world, new=days(3))  # within the due-soon days
    service.decide_extension(person("leader"), again, True)
    assert _light(issue) == "yellow"


@pytest.mark.parametrize("who", ["member", "temp_member", "viewer"])
def test_only_the_deciders_decide(scoped, world, person, who):
    extension = _ask(person, world)
    with pytest.raises(PermissionDenied):
        service.decide_extension(person(who), extension, True)


def test_a_major_item_is_decided_by_the_leader_alone(scoped, world, person):
    _issue(world).major = True
    extension = _ask(person, world)
    with pytest.raises(PermissionDenied):
        service.decide_extension(person("exec_leader"), extension, True)
    service.decide_extension(person("leader"), extension, True)
    assert _issue(world).deadline == days(44)


def test_a_second_decision_is_refused(scoped, world, person):
    extension = _ask(person, world)
    version = extension.version
    service.decide_extension(person("exec_leader"), extension, True, "", version)
    with pytest.raises(StaleEdit):  # a form opened before the first decision
        service.decide_extension(person("leader"), extension, False, "不同意", version)
    with pytest.raises(InvalidTransition):  # no version: the status says it
        service.decide_extension(person("leader"), extension, False, "不同意")
    assert _issue(world).deadline == days(44)


def test_an_item_closed_meanwhile_is_not_moved(scoped, world, person):
    extension = _ask(person, world)
    _issue(world).status = "closed"
    with pytest.raises(InvalidTransition):
        service.decide_extension(person("exec_leader"), extension, True)
    service.decide_extension(person("exec_leader"), extension, False, "已关闭")
    assert extension.status == DECLINED


def test_a_requested_date_now_past_is_not_approved(scoped, world, person):
    from app.core import clock

    extension = _ask(person, world, new=days(35))
    clock.set_today(days(36))
    with pytest.raises(ValidationFailed):
        service.decide_extension(person("exec_leader"), extension, True)


def test_a_failure_during_approval_leaves_the_deadline_unchanged(
    app, world, person, ctx, commit, monkeypatch
):
    with task_force_scope(world.task_force_id):
        extension_id = _ask(person, world).id
        commit()

        def broken(*args, **kwargs):
            raise RuntimeError("the outbox is down")

        monkeypatch.setattr(service, "_tell_owner", broken)
        with pytest.raises(RuntimeError), committing():
            extension = db.session.get(DeadlineExtension, extension_id)
            service.decide_extension(person("exec_leader"), extension, True)
            assert _issue(world).deadline == days(44)  # moved, then the failure
        db.session.expire_all()
        assert _issue(world).deadline == days(30)
        assert db.session.get(DeadlineExtension, extension_id).status == PENDING


# --- over HTTP ---------------------------------------------------------------------------------


def _request_form(**fields):
    return {"new_deadline": days(44).isoformat(), "reason": "等待总行排期", **fields}


def test_the_owner_asks_from_the_item_page(app, world, login, look):
    member = login("member")
    page = member.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="request-extension"' in page
    response = member.post(f"/issues/{world.issue_id}/extension", data=_request_form())
    assert response.status_code == 302 and "#panel-extensions" in response.headers["Location"]
    with look():
        assert db.session.scalars(select(DeadlineExtension)).one().reason == "等待总行排期"
    page = member.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="extension-pending"' in page
    assert 'data-testid="request-extension"' not in page  # one at a time
    assert 'data-testid="extension-decide"' not in page


@pytest.mark.parametrize("who", ["temp_member", "leader", "viewer", "frontline"])
def test_others_cannot_ask_over_http(app, world, login, look, who):
    client = login(who)
    page = client.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="request-extension"' not in page
    response = client.post(f"/issues/{world.issue_id}/extension", data=_request_form())
    assert response.status_code in (302, 403, 404)
    with look():
        assert db.session.scalars(select(DeadlineExtension)).all() == []


def test_a_refused_request_is_told_and_keeps_nothing(app, world, login, look):
    member = login("member")
    response = member.post(
        f"/issues/{world.issue_id}/extension",
        data=_request_form(new_deadline=days(5).isoformat()),
        follow_redirects=True,
    )
    assert "必须晚于" in response.get_data(as_text=True) or "after the current" in (
        response.get_data(as_text=True)
    )
    with look():
        assert db.session.scalars(select(DeadlineExtension)).all() == []


def _pending_id(look) -> tuple[int, int]:
    with look():
        extension = db.session.scalars(select(DeadlineExtension)).one()
        return extension.id, extension.version


def test_the_executive_leader_approves_from_the_item_page(app, world, login, look):
    login("member").post(f"/issues/{world.issue_id}/extension", data=_request_form())
    exec_leader = login("exec_leader")
    page = exec_leader.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="extension-decide"' in page
    extension_id, version = _pending_id(look)
    form = {"extension_id": extension_id, "version": version, "comment": "同意，抓紧推进"}
    response = exec_leader.post(
        f"/issues/{world.issue_id}/extension/decide", data={**form, "outcome": "approve"}
    )
    assert response.status_code == 302
    with look():
        assert db.session.get(Issue, world.issue_id).deadline == days(44)
    page = exec_leader.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="extension-summary"' in page
    # The same form sent again (a second decider, a double click) is refused cleanly.
    again = login("leader").post(
        f"/issues/{world.issue_id}/extension/decide",
        data={**form, "outcome": "decline", "comment": "不同意"},
        follow_redirects=True,
    )
    assert again.status_code == 200
    with look():
        extension = db.session.get(DeadlineExtension, extension_id)
        assert extension.status == APPROVED and extension.comment == "同意，抓紧推进"


@pytest.mark.parametrize("who", ["member", "temp_member", "viewer"])
def test_others_cannot_decide_over_http(app, world, login, look, who):
    login("member").post(f"/issues/{world.issue_id}/extension", data=_request_form())
    extension_id, version = _pending_id(look)
    client = login(who)
    page = client.get(f"/issues/{world.issue_id}").get_data(as_text=True)
    assert 'data-testid="extension-decide"' not in page
    response = client.post(
        f"/issues/{world.issue_id}/extension/decide",
        data={"extension_id": extension_id, "version": version, "outcome": "approve"},
    )
    assert response.status_code in (302, 403)
    with look():
        assert db.session.get(Issue, world.issue_id).deadline == days(30)
        assert db.session.get(DeadlineExtension, extension_id).status == PENDING


def test_a_failed_approval_over_http_keeps_the_old_deadline(app, world, login, look, monkeypatch):
    from app.core.errors import DomainError

    login("member").post(f"/issues/{world.issue_id}/extension", data=_request_form())
    extension_id, version = _pending_id(look)

    def refused(*args, **kwargs):
        raise DomainError("the owner cannot be told")

    monkeypatch.setattr(service, "_tell_owner", refused)
    response = login("exec_leader").post(
        f"/issues/{world.issue_id}/extension/decide",
        data={"extension_id": extension_id, "version": version, "outcome": "approve"},
    )
    assert response.status_code == 302
    with look():
        assert db.session.get(Issue, world.issue_id).deadline == days(30)
        assert db.session.get(DeadlineExtension, extension_id).status == PENDING


def test_my_items_shows_pending_requests_to_the_deciders(app, world, login):
    login("member").post(f"/issues/{world.issue_id}/extension", data=_request_form())
    page = login("exec_leader").get("/my").get_data(as_text=True)
    assert 'data-testid="my-extensions"' in page and "现金管理类产品归集与支付" in page
    assert 'data-testid="my-extensions"' in login("member").get("/my").get_data(as_text=True)
    assert 'data-testid="my-extensions"' not in login("viewer").get("/my").get_data(as_text=True)


def test_the_item_shows_the_original_deadline_after_two_extensions(app, world, login, look):
    for new, outcome in ((days(44), "approve"), (days(58), "approve")):
        login("member").post(
            f"/issues/{world.issue_id}/extension", data=_request_form(new_deadline=new.isoformat())
        )
        with look():
            extension = db.session.scalars(
                select(DeadlineExtension).where(DeadlineExtension.status == PENDING)
            ).one()
            form = {"extension_id": extension.id, "version": extension.version}
        login("leader").post(
            f"/issues/{world.issue_id}/extension/decide", data={**form, "outcome": outcome}
        )
    page = login("viewer").get(f"/issues/{world.issue_id}").get_data(as_text=True)
    summary = page.split('data-testid="extension-summary"')[1].split("</div>")[0]
    assert "2024年7月3日" in summary and "2 次" in summary and "2024年7月31日" in summary
    assert 'data-testid="request-extension"' not in page  # a viewer sees nothing to do


def test_another_task_forces_request_cannot_be_decided(app, world, login, look):
    with look(), task_force_scope(world.other_task_force_id):
        stranger = db.session.scalar(
            select(factories.User).where(factories.User.username == "stranger")
        )
        extension = DeadlineExtension(
            task_force_id=world.other_task_force_id,
            issue_id=world.other_issue_id,
            requested_deadline=days(60),
            reason="别处",
            requested_by_id=stranger.id,
        )
        db.session.add(extension)
        db.session.commit()
        other_id = extension.id
    response = login("leader").post(
        f"/issues/{world.issue_id}/extension/decide",
        data={"extension_id": other_id, "version": 1, "outcome": "approve"},
    )
    assert response.status_code == 302
    with look():
        assert db.session.get(DeadlineExtension, other_id).status == PENDING


def test_the_items_followers_hear_of_the_decision_once(scoped, world, person):
    from app.discussion.following import set_following

    set_following(person("viewer"), _issue(world), True)
    extension = _ask(person, world)
    service.decide_extension(person("exec_leader"), extension, True, "同意", extension.version)
    told = db.session.scalars(
        select(Notification.recipient_id).where(Notification.kind == "extension_decided")
    ).all()
    # The owner (a follower too) once, the collaborators and the follower once each; the
    # decider not at all.
    issue = _issue(world)
    expected = {issue.owner_id, world.users["viewer"]} | {c.id for c in issue.collaborators}
    assert sorted(told) == sorted(expected) and world.users["exec_leader"] not in told


def test_the_items_history_reads_a_decision_in_words(scoped, world, person):
    from app.core import history
    from app.people.models import User

    extension = _ask(person, world)
    service.decide_extension(person("exec_leader"), extension, False, "先按原计划推进")
    rows = db.session.execute(
        select(AuditEvent, User)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "issue", AuditEvent.action.like("extension_%"))
        .order_by(AuditEvent.id)
    ).all()
    asked, declined = history.describe(rows)
    assert declined.action == "延期未批准"
    words = {(c.label, c.new) for c in declined.changes}
    assert ("审批意见", "先按原计划推进") in words
    assert not any(c.new in ("pending", "declined") for c in asked.changes + declined.changes)
