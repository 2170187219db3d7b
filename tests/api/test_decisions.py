"""Escalations and decisions through the API: raising, deciding at the right level, the
register; as each role and token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from app.core.models import AuditEvent
from app.extensions import db
from app.issues.models import Issue
from tests.api.conftest import OFF_THE_TASK_FORCE, is_problem, misanswered
from tests.factories import PERSONAS

VIEWERS = {"admin", "leader", "exec_leader", "member", "temp_member", "viewer"}
WORKERS = {"leader", "exec_leader", "member", "temp_member"}  # the world's item's people
DECIDERS = {"leader", "exec_leader"}  # the world's escalation went to the executive leader


def _question(level="exec_leader", **extra) -> dict:
    return {"kind": "decision", "level": level, "question": "是否扩大试点？", **extra}


def test_the_owner_raises_and_the_level_decides(api, world, look):
    member = api.token("member")
    due = (clock.today() + timedelta(days=5)).isoformat()
    body = _question("leader", options=["扩大", "暂缓"], recommendation="扩大", due_on=due)
    raised = api.post(f"/api/v1/items/{world.issue_id}/escalations", member, json=body)
    assert raised.status_code == 201, raised.get_data(as_text=True)
    escalation = raised.get_json()
    assert escalation["status"] == "pending" and escalation["decision"] is None
    assert escalation["item"]["id"] == world.issue_id and escalation["due_on"] == due
    assert escalation["may_decide"] is False and escalation["overdue"] is False
    path = raised.headers["Location"]
    assert path.endswith(f"/api/v1/escalations/{escalation['id']}")
    decision = {"text": "扩大试点范围", "chosen_option": "扩大", "version": escalation["version"]}
    # To the leader: the executive leader may not decide it (the object's rule).
    exec_leader = api.token("exec_leader")
    refused = is_problem(api.post(f"{path}/decision", exec_leader, json=decision), 403)
    assert refused["type"] == "about:blank"
    leader = api.token("leader")
    assert api.get(path, leader).get_json()["may_decide"] is True
    wrong = is_problem(
        api.post(f"{path}/decision", leader, json={**decision, "chosen_option": "别的"}), 422
    )
    assert list(wrong["errors"]) == ["chosen_option"]
    decided = api.post(f"{path}/decision", leader, json=decision)
    assert decided.status_code == 201, decided.get_data(as_text=True)
    body = decided.get_json()
    assert body["status"] == "decided" and body["decision"]["text"] == "扩大试点范围"
    assert body["decision"]["decided_by"]["id"] == world.users["leader"]
    assert body["days_to_decision"] == 0 and body["may_decide"] is False
    again = is_problem(
        api.post(f"{path}/decision", leader, json={**decision, "version": body["version"]}), 409
    )
    assert again["type"].endswith(":invalid-transition")
    register = api.get("/api/v1/decisions", leader).get_json()
    assert [row["id"] for row in register["items"]] == [escalation["id"]]
    with look():
        actions = {
            e.action
            for e in db.session.query(AuditEvent).filter(AuditEvent.api_token_id.isnot(None))
        }
        assert {"raised", "escalated", "decided"} <= actions


def test_a_decision_unblocks_and_reassigns_the_item(api, world, look):
    leader = api.token("leader")
    path = f"/api/v1/escalations/{world.ids['escalation']}"
    etag = api.get(path, leader).headers["ETag"]
    later = (clock.today() + timedelta(days=60)).isoformat()
    body = {"text": "延期并改由执行组长牵头", "new_deadline": later}
    body["new_owner_id"] = world.users["exec_leader"]
    decided = api.post(f"{path}/decision", leader, json=body, headers={"If-Match": etag})
    assert decided.status_code == 201, decided.get_data(as_text=True)
    assert decided.get_json()["decision"]["new_deadline"] == later
    with look():
        issue = db.session.get(Issue, world.issue_id)
        assert issue.owner_id == world.users["exec_leader"] and issue.deadline.isoformat() == later


def test_stale_versions_and_missing_ones_are_refused(api, world):
    leader = api.token("leader")
    path = f"/api/v1/escalations/{world.ids['escalation']}/decision"
    stale = is_problem(api.post(path, leader, json={"text": "x", "version": 99}), 409)
    assert stale["type"].endswith(":stale-edit")
    is_problem(api.post(path, leader, json={"text": "x"}, headers={"If-Match": '"99"'}), 412)
    is_problem(api.post(path, leader, json={"text": "x"}), 428)


def test_the_register_filters(api, world):
    token = api.token("viewer", scope="read")
    listed = api.get("/api/v1/escalations", token).get_json()
    assert [row["id"] for row in listed["items"]] == [world.ids["escalation"]]
    row = listed["items"][0]
    assert row["level"] == "exec_leader" and row["options"] == ["先试点", "全面推开"]
    assert row["raised_at"].endswith("+08:00")
    for query, found in (
        ("status=pending", 1),
        ("status=decided", 0),
        ("kind=supervision", 0),
        ("level=exec_leader", 1),
        ("q=长春", 1),
        (f"raised_from={(clock.today() + timedelta(days=1)).isoformat()}", 0),
    ):
        assert api.get(f"/api/v1/escalations?{query}", token).get_json()["total"] == found, query
    assert api.get("/api/v1/decisions", token).get_json()["total"] == 0
    is_problem(api.get("/api/v1/escalations?status=open", token), 422)


def test_raising_keeps_the_pages_rules(api, world):
    member = api.token("member")
    path = f"/api/v1/items/{world.issue_id}/escalations"
    past = (clock.today() - timedelta(days=1)).isoformat()
    refused = is_problem(api.post(path, member, json=_question(due_on=past)), 422)
    assert list(refused["errors"]) == ["due_on"]
    refused = is_problem(api.post(path, member, json=_question(level="board")), 422)
    assert list(refused["errors"]) == ["level"]
    other = f"/api/v1/items/{world.other_issue_id}/escalations"
    is_problem(api.post(other, api.token("leader"), json=_question()), 404)


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_decision_endpoint_answers_as_the_table_says(api, world, persona):
    here = {"X-Task-Force": str(world.task_force_id)}
    escalation = f"/api/v1/escalations/{world.ids['escalation']}"
    cases = [
        ("GET", "/api/v1/escalations", None, VIEWERS, 200),
        ("GET", "/api/v1/decisions", None, VIEWERS, 200),
        ("GET", escalation, None, VIEWERS, 200),
        ("POST", f"/api/v1/items/{world.issue_id}/escalations", _question(), WORKERS, 201),
        ("POST", f"{escalation}/decision", {"text": "同意", "version": 1}, DECIDERS, 201),
    ]
    assert misanswered(api, world, persona, cases) == []
    read = api.token(persona, scope="read")
    for method, path, body, _who, _status in cases:
        if method == "POST" and persona not in OFF_THE_TASK_FORCE:
            response = api.call(method, path, read, json=body, headers=here)
            assert is_problem(response, 403)["type"].endswith(":read-only-token")
