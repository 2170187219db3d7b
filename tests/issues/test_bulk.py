"""Bulk edit (批量操作) over HTTP, as the bar under the list posts it.

Each item keeps its own rules: in one request the allowed items are saved together and
the refused ones are left as they were, each listed with why; one audit event per
changed item; one message per person concerned; a filter-wide selection is the filter
run again on the server, capped; items changed since the list was shown are refused.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.core.models import AuditEvent, Notification
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import BLOCKED, CLOSED, IN_PROGRESS, Category, Issue
from app.issues.service import bulk
from app.people.models import TaskForce
from tests.factories import make_issue, make_membership, make_user
from tests.issues.conftest import days


@pytest.fixture
def items(app, world):
    """Three more items of the world's dimension: one of member's (no deadline), one of
    member's already closed, one of the leader's that member has nothing to do with."""
    with app.app_context(), unscoped():
        category = db.session.get(Category, world.category_id)
        return {
            "mine": make_issue(category, "代发工资客户拓展", owner_id=world.users["member"]).id,
            "closed": make_issue(
                category, "理财到期承接", owner_id=world.users["member"], status=CLOSED
            ).id,
            "theirs": make_issue(
                category,
                "信托产品准入",
                owner_id=world.users["leader"],
                deadline=days(10),
                status=IN_PROGRESS,
            ).id,
        }


def read(issue_id: int) -> Issue:
    issue = db.session.get(Issue, issue_id)
    db.session.refresh(issue)
    return issue


def ticked(*issue_ids: int) -> list[str]:
    """The checkboxes of these items as the list shows them: id and version."""
    values = []
    for issue_id in issue_ids:
        issue = read(issue_id)
        values.append(f"{issue.id}:{issue.version}")
    return values


def events_of(issue_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "issue",
                AuditEvent.entity_id == issue_id,
                AuditEvent.action.in_(("updated", "status_changed")),
            )
        )
    )


def test_mixed_items_in_one_request_keep_the_allowed_and_list_the_refused(
    world, items, login, look
):
    with look():
        boxes = ticked(world.issue_id, items["mine"], items["closed"], items["theirs"])
        versions = {name: read(i).version for name, i in items.items()}

    response = login("member").post("/issues/bulk", data={"item": boxes, "priority": "urgent"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('data-outcome="changed"') == 2
    assert html.count('data-outcome="refused"') == 2
    assert "只有责任人、协办人、组长或执行组长可以修改该问题。" in html
    assert "请先说明原因重新打开，再作修改" in html
    assert "优先级：中 → 紧急" in html
    with look():
        assert read(world.issue_id).priority == "urgent"
        assert read(items["mine"]).priority == "urgent"
        for name in ("closed", "theirs"):
            assert read(items[name]).priority == "medium"
            assert read(items[name]).version == versions[name]
            assert events_of(items[name]) == []
        # One audit event per changed item, holding every field it changed.
        for issue_id in (world.issue_id, items["mine"]):
            (event,) = events_of(issue_id)
            assert event.action == "updated"
            assert event.changes == {"priority": ["medium", "urgent"]}


def test_an_owner_sets_a_missing_deadline_but_may_not_move_a_set_one(world, items, login, look):
    with look():
        boxes = ticked(world.issue_id, items["mine"])
        before = read(world.issue_id).deadline

    response = login("member").post(
        "/issues/bulk", data={"item": boxes, "deadline": days(60).isoformat()}
    )

    html = response.get_data(as_text=True)
    assert "只有组长可以调整完成时限" in html
    with look():
        assert read(world.issue_id).deadline == before
        assert read(items["mine"]).deadline == days(60)


def test_a_leader_reassigns_and_each_person_gets_one_message(world, items, login, look):
    with look():
        category = db.session.get(Category, world.category_id)
        third = make_issue(category, "信用卡分期", owner_id=world.users["member"]).id
        boxes = ticked(world.issue_id, items["mine"], third)
        before = db.session.scalar(select(func.max(Notification.id))) or 0

    response = login("leader").post(
        "/issues/bulk", data={"item": boxes, "owner_id": world.users["temp_member"]}
    )

    assert response.get_data(as_text=True).count('data-outcome="changed"') == 3
    with look():
        for issue_id in (world.issue_id, items["mine"], third):
            assert read(issue_id).owner_id == world.users["temp_member"]
            assert read(issue_id).acknowledged_at is None
            assert [e.action for e in events_of(issue_id)] == ["updated"]
        messages = db.session.scalars(select(Notification).where(Notification.id > before))
        by_person = {}
        for message in messages:
            by_person.setdefault(message.recipient_id, []).append(message)
        # The new owner and the old one hear once each, of all three; no one-per-item
        # assignment messages, and the leader is not told of what the leader did.
        assert set(by_person) == {world.users["temp_member"], world.users["member"]}
        for person in by_person.values():
            (message,) = person
            assert message.kind == "bulk"
            assert message.text.count("\n") == 3
            assert "信用卡分期" in message.text and "代发工资客户拓展" in message.text


def test_the_message_is_in_the_recipients_language(world, items, login, look):
    with look():
        from app.people.models import User

        db.session.get(User, world.users["member"]).locale = "zh"
        db.session.commit()
        boxes = ticked(world.issue_id, items["mine"])

    login("leader").post("/issues/bulk", data={"item": boxes, "priority": "low"})

    with look():
        (message,) = db.session.scalars(
            select(Notification).where(Notification.recipient_id == world.users["member"])
        )
        assert "优先级" in message.text and "Priority" not in message.text


def test_collaborators_are_added_and_removed_on_each_item(world, items, login, look):
    with look():
        boxes = ticked(world.issue_id, items["mine"])

    login("leader").post(
        "/issues/bulk",
        data={
            "item": boxes,
            "add_collaborator_ids": [world.users["exec_leader"]],
            "remove_collaborator_ids": [world.users["temp_member"]],
        },
    )

    with look():
        for issue_id in (world.issue_id, items["mine"]):
            ids = {u.id for u in read(issue_id).collaborators}
            assert ids == {world.users["exec_leader"]}


def test_an_item_changed_since_the_list_was_shown_is_refused(world, items, login, look):
    with look():
        boxes = ticked(world.issue_id, items["mine"])
        # Someone saves the first item after the list was drawn.
        issue = read(world.issue_id)
        issue.title = "现金管理类产品归集与支付（修订）"
        db.session.commit()

    response = login("leader").post("/issues/bulk", data={"item": boxes, "priority": "low"})

    html = response.get_data(as_text=True)
    assert "打开清单后已被他人修改。" in html
    with look():
        assert read(world.issue_id).priority == "medium"
        assert read(items["mine"]).priority == "low"


def test_all_matching_the_filter_is_the_filter_run_again(world, items, login, look):
    shown_at = clock.now().isoformat()

    # The ticked boxes do not count when the whole filter is chosen.
    response = login("leader").post(
        "/issues/bulk?status=in_progress",
        data={"scope": "all", "shown_at": shown_at, "major": "yes", "item": ["999999:1"]},
    )

    html = response.get_data(as_text=True)
    assert html.count('data-outcome="changed"') == 2  # the two items in progress
    with look():
        assert read(world.issue_id).major is True
        assert read(items["theirs"]).major is True
        assert read(items["mine"]).major is False
        assert read(items["closed"]).major is False


def test_all_matching_refuses_items_changed_after_the_list_was_shown(world, items, login, look):
    shown_at = clock.now()
    clock.set_now(shown_at + timedelta(minutes=5))
    with look():
        issue = read(items["theirs"])
        issue.title = "信托产品准入（修订）"
        db.session.commit()

    response = login("leader").post(
        "/issues/bulk?status=in_progress",
        data={"scope": "all", "shown_at": shown_at.isoformat(), "priority": "high"},
    )

    assert "打开清单后已被他人修改。" in response.get_data(as_text=True)
    with look():
        assert read(items["theirs"]).priority == "medium"
        assert read(world.issue_id).priority == "high"


def test_a_filter_matching_too_many_items_is_refused_whole(world, items, login, look, monkeypatch):
    monkeypatch.setattr(bulk, "LIMIT", 2)

    response = login("leader").post(
        "/issues/bulk?q=", data={"scope": "all", "priority": "low"}, follow_redirects=True
    )

    html = response.get_data(as_text=True)
    assert "批量操作一次最多 2 项" in html
    with look():
        assert db.session.scalar(select(func.count(Issue.id)).where(Issue.priority == "low")) == 0


def test_status_moves_through_each_items_workflow(world, items, login, look):
    with look():
        boxes = ticked(world.issue_id, items["theirs"], items["closed"])

    without = login("leader").post("/issues/bulk", data={"item": boxes, "status": BLOCKED})
    assert without.get_data(as_text=True).count("请填写原因。") == 2

    with look():
        boxes = ticked(world.issue_id, items["theirs"], items["closed"])
    response = login("leader").post(
        "/issues/bulk", data={"item": boxes, "status": BLOCKED, "reason": "等待总行审批"}
    )

    html = response.get_data(as_text=True)
    assert html.count('data-outcome="changed"') == 2
    assert "问题不能从“已销号”变更为“受阻”" in html  # the closed one
    with look():
        assert read(world.issue_id).status == BLOCKED
        assert read(items["theirs"]).status == BLOCKED
        assert read(items["closed"]).status == CLOSED
        assert [e.action for e in events_of(world.issue_id)] == ["status_changed"]


def test_a_status_with_other_fields_is_refused_and_nothing_changes(world, items, login, look):
    with look():
        boxes = ticked(world.issue_id)

    response = login("leader").post(
        "/issues/bulk",
        data={"item": boxes, "status": BLOCKED, "reason": "x", "priority": "low"},
        follow_redirects=True,
    )

    assert "状态须单独修改" in response.get_data(as_text=True)
    with look():
        assert read(world.issue_id).status == IN_PROGRESS
        assert read(world.issue_id).priority == "medium"


def test_nothing_selected_or_nothing_to_change_is_refused(world, items, login):
    client = login("leader")
    assert "请至少选择一个事项。" in client.post(
        "/issues/bulk", data={"priority": "low"}, follow_redirects=True
    ).get_data(as_text=True)
    with_nothing = client.post("/issues/bulk", data={"item": [f"{items['mine']}:1"]})
    assert with_nothing.status_code == 302


def test_another_task_forces_item_is_never_touched(world, items, login, look):
    response = login("leader").post(
        "/issues/bulk",
        data={"item": [f"{world.other_issue_id}:1"], "priority": "low"},
        follow_redirects=True,
    )

    assert "请至少选择一个事项。" in response.get_data(as_text=True)
    with look():
        assert read(world.other_issue_id).priority == "medium"


@pytest.mark.parametrize(
    ("persona", "boxes"),
    [("leader", True), ("member", True), ("temp_member", True), ("viewer", False)],
)
def test_who_sees_checkboxes(world, items, login, persona, boxes):
    html = login(persona).get("/issues").get_data(as_text=True)

    assert ('data-bulk-item="' in html) is boxes
    assert ('data-testid="bulk-bar"' in html) is boxes


def test_the_bars_pickers_follow_the_roster_and_its_moment_each_view(world, items, login, look):
    leader = login("leader")
    first = leader.get("/issues").get_data(as_text=True)
    assert "新来的同事" not in first
    with look():
        make_membership(
            make_user(display_name="新来的同事"), db.session.get(TaskForce, world.task_force_id)
        )
    clock.set_now(clock.now() + timedelta(minutes=1))
    second = leader.get("/issues").get_data(as_text=True)

    bar = second.split('data-testid="bulk-bar"', 1)[1]
    assert "新来的同事" in bar.split('name="owner_id"', 1)[1].split("</select>", 1)[0]
    moment = re.compile(r'name="shown_at" value="([^"]+)"')
    assert moment.search(first).group(1) != moment.search(second).group(1)


@pytest.mark.parametrize("persona", ["viewer", "frontline", "outsider"])
def test_those_who_do_not_work_on_items_may_not_post(world, items, login, look, persona):
    response = login(persona).post(
        "/issues/bulk", data={"item": [f"{items['mine']}:1"], "priority": "low"}
    )

    assert response.status_code == 403
    with look():
        assert read(items["mine"]).priority == "medium"


def test_a_refusal_met_midway_rolls_back_that_item_only(
    world, items, scoped, person, commit, monkeypatch
):
    """The savepoint of each item: a refusal after the item's rows were changed and
    flushed takes back that item's rows and audit event, and nothing of the others."""
    from app.core.errors import InvalidTransition

    real = bulk.update_issue

    def refuse_the_second(actor, issue, data, version):
        changes = real(actor, issue, data, version)
        db.session.flush()
        if issue.id == items["mine"]:
            raise InvalidTransition("refused after the change")
        return changes

    monkeypatch.setattr(bulk, "update_issue", refuse_the_second)
    leader = person("leader")
    selection = bulk.Selection(versions={world.issue_id: None, items["mine"]: None})

    result = bulk.apply_bulk(
        leader, world.task_force_id, selection, bulk.BulkChange(priority="low", major=True)
    )
    commit()

    assert [r.refusal for r in result.items] == [None, "refused after the change"]
    assert (read(world.issue_id).priority, read(world.issue_id).major) == ("low", True)
    assert (read(items["mine"]).priority, read(items["mine"]).major) == ("medium", False)
    assert len(events_of(world.issue_id)) == 1
    assert events_of(items["mine"]) == []


def test_the_same_form_sent_again_changes_nothing_more(world, items, login, look):
    """A reload of the result page posts the form again: the versions it carries are
    those of before the first change, so every item is refused as changed meanwhile."""
    with look():
        boxes = ticked(world.issue_id, items["mine"])
    client = login("leader")
    form = {"item": boxes, "priority": "low"}
    assert (
        client.post("/issues/bulk", data=form)
        .get_data(as_text=True)
        .count('data-outcome="changed"')
        == 2
    )

    again = client.post("/issues/bulk", data=form).get_data(as_text=True)

    assert again.count("打开清单后已被他人修改。") == 2
    with look():
        assert len(events_of(world.issue_id)) == 1
