"""Meetings and action items through the API: as each role, each token, each task force."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from app.core import clock
from app.core.audit import AuditEvent
from app.extensions import db
from app.meetings.models import ActionItem, Meeting, MeetingSeries
from tests.api.conftest import assert_reads_only, is_problem, misanswered
from tests.factories import PERSONAS

VIEWERS = {"admin", "leader", "exec_leader", "member", "temp_member", "viewer"}


def _other_meeting(look, world) -> tuple[int, int]:
    """A meeting of the other task force with an action item: (meeting id, action id)."""
    with look():
        tf = world.other_task_force_id
        today = clock.today()
        series = MeetingSeries(
            task_force_id=tf, name="别组例会", starts_on=today, chair_id=world.users["leader"]
        )
        db.session.add(series)
        db.session.flush()
        meeting = Meeting(
            task_force_id=tf,
            series_id=series.id,
            title="别组例会",
            kind="progress",
            scheduled_on=today,
            starts_at=clock.at(today, time(9, 30)),
            chair_id=world.users["leader"],
        )
        db.session.add(meeting)
        db.session.flush()
        action = ActionItem(task_force_id=tf, meeting_id=meeting.id, title="别组的事")
        db.session.add(action)
        db.session.commit()
        return meeting.id, action.id


def test_the_list_filters_and_pages(api, world):
    token = api.token("viewer", scope="read")
    listed = api.get("/api/v1/meetings", token)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    body = listed.get_json()
    assert [m["id"] for m in body["items"]] == [world.ids["meeting"]]
    meeting = body["items"][0]
    assert meeting["series"]["cadence"] == "monthly" and meeting["kind"] == "progress"
    assert meeting["starts_at"].endswith("T09:30:00+08:00")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    today = clock.today().isoformat()
    for query, found in (
        ("kind=progress", 1),
        ("kind=review", 0),
        ("cadence=monthly", 1),
        ("cadence=weekly", 0),
        (f"from={tomorrow}&to={tomorrow}", 1),
        (f"to={today}", 0),
        (f"from={(clock.today() + timedelta(days=2)).isoformat()}", 0),
        ("status=planned", 1),
    ):
        got = api.get(f"/api/v1/meetings?{query}", token)
        assert got.status_code == 200, query
        assert got.get_json()["total"] == found, query
    is_problem(api.get("/api/v1/meetings?kind=party", token), 422)
    is_problem(api.get("/api/v1/meetings?from=tomorrow", token), 422)


def test_a_meeting_reads_with_agenda_attendees_and_action_items(api, world):
    token = api.token("member", scope="read")
    read = api.get(f"/api/v1/meetings/{world.ids['meeting']}", token)
    assert read.status_code == 200, read.get_data(as_text=True)
    body = read.get_json()
    assert read.headers["ETag"] == f'"{body["version"]}"'
    assert [a["title"] for a in body["agenda"]] == ["现金管理类产品归集与支付"]
    assert body["agenda"][0]["section"] == "红灯事项"
    assert sorted(a["person"]["id"] for a in body["attendees"]) == sorted(
        world.users[p] for p in ("leader", "member", "exec_leader")
    )
    assert [a["status"] for a in body["attendees"]] == [None, None, None]
    (action,) = body["action_items"]
    assert action["title"] == "梳理客户分层名单" and action["done"] is False
    assert action["owner"]["id"] == world.users["member"]
    listed = api.get(f"/api/v1/meetings/{world.ids['meeting']}/action-items", token)
    assert listed.get_json()["items"] == [action]


def test_the_chair_adds_an_action_item_and_its_owner_ticks_it(api, world, look):
    leader = api.token("leader")
    path = f"/api/v1/meetings/{world.ids['meeting']}/action-items"
    due = (clock.today() + timedelta(days=7)).isoformat()
    body = {"title": "  报送试点方案 ", "owner_id": world.users["member"], "deadline": due}
    created = api.post(path, leader, json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    action = created.get_json()
    assert action["title"] == "报送试点方案" and action["deadline"] == due
    assert created.headers["Location"].endswith(f"/api/v1/action-items/{action['id']}")
    assert api.get(created.headers["Location"], leader).get_json() == action
    member = api.token("member")
    ticked = api.patch(f"/api/v1/action-items/{action['id']}", member, json={"done": True})
    assert ticked.status_code == 200, ticked.get_data(as_text=True)
    assert ticked.get_json()["done"] is True
    assert ticked.get_json()["done_on"] == clock.today().isoformat()
    reopened = api.patch(f"/api/v1/action-items/{action['id']}", leader, json={"done": False})
    assert reopened.get_json()["done"] is False
    with look():
        events = db.session.query(AuditEvent).filter(AuditEvent.api_token_id.isnot(None)).all()
        assert {e.action for e in events} >= {"action_added", "action_done", "action_reopened"}


def test_the_rules_of_the_page_hold(api, world):
    """A member who neither chairs nor owns: 403 from the service; bad input: 422."""
    member = api.token("member")
    path = f"/api/v1/meetings/{world.ids['meeting']}/action-items"
    refused = is_problem(api.post(path, member, json={"title": "我来加"}), 403)
    assert refused["type"].endswith(":permission-denied")
    temp = api.token("temp_member")
    action = f"/api/v1/action-items/{world.ids['action']}"
    is_problem(api.patch(action, temp, json={"done": True}), 403)
    leader = api.token("leader")
    not_on_roster = is_problem(
        api.post(path, leader, json={"title": "x", "owner_id": world.users["outsider"]}), 422
    )
    assert list(not_on_roster["errors"]) == ["owner_id"]
    empty = is_problem(api.post(path, leader, json={"title": ""}), 422)
    assert list(empty["errors"]) == ["title"]
    typo = is_problem(api.patch(action, leader, json={"done": True, "owner": 1}), 422)
    assert "owner" in typo["errors"]


def test_another_task_force_meeting_is_not_found(api, world, look):
    meeting_id, action_id = _other_meeting(look, world)
    token = api.token("leader")
    is_problem(api.get(f"/api/v1/meetings/{meeting_id}", token), 404)
    is_problem(api.get(f"/api/v1/meetings/{meeting_id}/action-items", token), 404)
    add = api.post(f"/api/v1/meetings/{meeting_id}/action-items", token, json={"title": "x"})
    is_problem(add, 404)
    is_problem(api.patch(f"/api/v1/action-items/{action_id}", token, json={"done": True}), 404)
    assert api.get("/api/v1/meetings", token).get_json()["total"] == 1
    bound = api.token("leader", task_force_id=world.task_force_id)
    here = {"X-Task-Force": str(world.other_task_force_id)}
    is_problem(api.get("/api/v1/meetings", bound, headers=here), 404)


def cases(w):
    meeting = f"/api/v1/meetings/{w.ids['meeting']}"
    action = f"/api/v1/action-items/{w.ids['action']}"
    runners = {"leader", "exec_leader"}
    return [
        ("GET", "/api/v1/meetings", None, VIEWERS, 200),
        ("GET", meeting, None, VIEWERS, 200),
        ("GET", f"{meeting}/action-items", None, VIEWERS, 200),
        ("GET", action, None, VIEWERS, 200),
        ("POST", f"{meeting}/action-items", {"title": "补充材料"}, runners, 201),
        # Its owner ("member") or the meeting's runners; temp_member is refused by the rule.
        ("PATCH", action, {"done": True}, runners | {"member"}, 200),
    ]


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_meeting_endpoint_answers_as_the_table_says(api, world, persona):
    assert misanswered(api, world, persona, cases(world)) == []


def test_a_read_token_never_writes(api, world):
    assert_reads_only(api, cases(world))
