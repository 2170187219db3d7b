"""Pilots and rollout tasks through the API: read, and a rollout task updated by its
owner, the pilot's owner or the leaders; as each role and token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from app.core.models import AuditEvent
from app.extensions import db
from app.pilots.models import Pilot, RolloutTask
from tests.api.conftest import is_problem, misanswered
from tests.factories import PERSONAS

VIEWERS = {"admin", "leader", "exec_leader", "member", "temp_member", "viewer"}
# The world's rollout task: the leaders, its owner (temp_member), the pilot's (member).
UPDATERS = {"leader", "exec_leader", "member", "temp_member"}


def _done_task(look, world) -> int:
    with look():
        return (
            db.session.query(RolloutTask.id)
            .filter(
                RolloutTask.pilot_id == world.ids["pilot"], RolloutTask.id != world.ids["rollout"]
            )
            .scalar()
        )


def test_pilots_read_with_their_rollout(api, world):
    token = api.token("viewer", scope="read")
    listed = api.get("/api/v1/pilots", token)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    (pilot,) = listed.get_json()["items"]
    assert pilot["status"] == "rolling_out" and pilot["decision"] == "roll_out"
    assert pilot["coverage"] == {"done": 1, "applicable": 2, "percent": 50}
    assert api.get("/api/v1/pilots?status=running", token).get_json()["total"] == 0
    is_problem(api.get("/api/v1/pilots?status=flying", token), 422)
    read = api.get(f"/api/v1/pilots/{pilot['id']}", token)
    assert read.status_code == 200, read.get_data(as_text=True)
    body = read.get_json()
    assert read.headers["ETag"] == f'"{body["version"]}"'
    assert [o["title"] for o in body["objectives"]] == ["私行客户AUM"]
    assert body["objectives"][0]["target"] == 60
    assert {t["status"] for t in body["rollout_tasks"]} == {"not_started", "done"}
    task = api.get(f"/api/v1/rollout-tasks/{world.ids['rollout']}", token).get_json()
    assert task["owner"]["id"] == world.users["temp_member"] and task["light"] in (
        "green",
        "yellow",
        "red",
    )


def test_the_owner_moves_a_rollout_task_with_its_version(api, world, look):
    token = api.token("temp_member")
    path = f"/api/v1/rollout-tasks/{world.ids['rollout']}"
    task = api.get(path, token).get_json()
    moved = api.patch(
        path, token, json={"status": "in_progress", "notes": " 已培训 ", "version": task["version"]}
    )
    assert moved.status_code == 200, moved.get_data(as_text=True)
    body = moved.get_json()
    assert body["status"] == "in_progress" and body["notes"] == "已培训"
    assert body["owner"]["id"] == world.users["temp_member"]  # untouched fields stay
    assert moved.headers["ETag"] == f'"{body["version"]}"' and body["version"] > task["version"]
    stale = is_problem(
        api.patch(path, token, json={"status": "done", "version": task["version"]}), 409
    )
    assert stale["type"].endswith(":stale-edit")
    etag = f'"{task["version"]}"'
    is_problem(api.patch(path, token, json={"status": "done"}, headers={"If-Match": etag}), 412)
    is_problem(api.patch(path, token, json={"status": "done"}), 428)
    done = api.patch(
        path, token, json={"status": "done"}, headers={"If-Match": moved.headers["ETag"]}
    )
    assert done.status_code == 200 and done.get_json()["done_on"] == clock.today().isoformat()
    with look():
        events = db.session.query(AuditEvent).filter(AuditEvent.api_token_id.isnot(None)).all()
        assert [e.action for e in events] == ["rollout_updated", "rollout_updated"]


def test_the_rules_of_the_page_hold(api, world, look):
    done_task = _done_task(look, world)
    # temp_member owns the other task only; the pilot's owner (member) may.
    temp = api.token("temp_member")
    body = {"notes": "补充", "version": 1}
    is_problem(api.patch(f"/api/v1/rollout-tasks/{done_task}", temp, json=body), 403)
    member = api.token("member")
    assert api.patch(f"/api/v1/rollout-tasks/{done_task}", member, json=body).status_code == 200
    leader = api.token("leader")
    path = f"/api/v1/rollout-tasks/{world.ids['rollout']}"
    stranger = {"owner_id": world.users["outsider"], "version": 1}
    assert list(is_problem(api.patch(path, leader, json=stranger), 422)["errors"]) == ["owner_id"]
    is_problem(api.patch(path, leader, json={"status": "paused", "version": 1}), 422)
    later = (clock.today() + timedelta(days=90)).isoformat()
    with look():
        db.session.get(Pilot, world.ids["pilot"]).status = "completed"
        db.session.commit()
    finished = is_problem(api.patch(path, leader, json={"planned_on": later, "version": 1}), 409)
    assert finished["type"].endswith(":invalid-transition")


def test_another_task_force_pilot_is_not_found(api, world, look):
    with look():
        tf = world.other_task_force_id
        pilot = Pilot(task_force_id=tf, name="别组试点", status="rolling_out")
        db.session.add(pilot)
        db.session.flush()
        task = RolloutTask(task_force_id=tf, pilot_id=pilot.id, org_unit_id=world.org_unit_id)
        db.session.add(task)
        db.session.commit()
        pilot_id, task_id = pilot.id, task.id
    token = api.token("leader")
    is_problem(api.get(f"/api/v1/pilots/{pilot_id}", token), 404)
    is_problem(api.get(f"/api/v1/rollout-tasks/{task_id}", token), 404)
    body = {"status": "done", "version": 1}
    is_problem(api.patch(f"/api/v1/rollout-tasks/{task_id}", token, json=body), 404)
    assert api.get("/api/v1/pilots", token).get_json()["total"] == 1
    bound = api.token("leader", task_force_id=world.task_force_id)
    here = {"X-Task-Force": str(world.other_task_force_id)}
    is_problem(api.get("/api/v1/pilots", bound, headers=here), 404)


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_pilot_endpoint_answers_as_the_table_says(api, world, persona):
    here = {"X-Task-Force": str(world.task_force_id)}
    task = f"/api/v1/rollout-tasks/{world.ids['rollout']}"
    cases = [
        ("GET", "/api/v1/pilots", None, VIEWERS, 200),
        ("GET", f"/api/v1/pilots/{world.ids['pilot']}", None, VIEWERS, 200),
        ("GET", task, None, VIEWERS, 200),
        ("PATCH", task, {"status": "in_progress", "version": 1}, UPDATERS, 200),
    ]
    assert misanswered(api, world, persona, cases) == []
    if persona in UPDATERS:
        read = api.token(persona, scope="read")
        refused = is_problem(api.call("PATCH", task, read, json=cases[-1][2], headers=here), 403)
        assert refused["type"].endswith(":read-only-token")
