"""Every endpoint as every role, with a write token on the world's task force: the
permission table decides as it does for the pages; a person off the task force learns
nothing of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from tests.api.conftest import is_problem, misanswered
from tests.factories import PERSONAS

VIEWERS = {"admin", "leader", "exec_leader", "member", "temp_member", "viewer"}
WORKERS = {"leader", "exec_leader", "member", "temp_member"}  # on the world's item too
MANAGERS = {"leader", "exec_leader"}


def _soon(days: int = 10) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def cases(w):
    """(method, path, body, who may, status when allowed), in order: the status change
    sends the version the edit before it left."""
    item = f"/api/v1/items/{w.issue_id}"
    return [
        ("GET", "/api/v1/items", None, VIEWERS, 200),
        ("GET", item, None, VIEWERS, 200),
        ("POST", "/api/v1/items", {"title": "新问题", "category_id": w.category_id}, WORKERS, 201),
        ("PATCH", item, {"title": "改名", "version": 1}, WORKERS, 200),
        ("POST", f"{item}/status", {"status": "verifying", "version": 2}, WORKERS, 200),
        ("GET", f"{item}/progress", None, VIEWERS, 200),
        ("POST", f"{item}/progress", {"note": "已完成联调", "percent": 60}, WORKERS, 201),
        ("GET", f"{item}/milestones", None, VIEWERS, 200),
        ("POST", f"{item}/milestones", {"title": "试点", "due_on": _soon()}, WORKERS, 201),
        ("PATCH", f"/api/v1/milestones/{w.milestone_id}", {"done": True}, WORKERS, 200),
        ("GET", f"{item}/subtasks", None, VIEWERS, 200),
        ("POST", f"{item}/subtasks", {"title": "联调", "deadline": _soon()}, WORKERS, 201),
        ("PATCH", f"/api/v1/subtasks/{w.subtask_id}", {"done": True}, WORKERS, 200),
        ("GET", "/api/v1/categories", None, VIEWERS, 200),
        ("GET", f"/api/v1/categories/{w.category_id}", None, VIEWERS, 200),
        ("POST", "/api/v1/categories", {"name": "新维度", "code_prefix": "XW"}, MANAGERS, 201),
        (
            "PATCH",
            f"/api/v1/categories/{w.category_id}",
            {"name": "客户端与渠道", "version": 2},  # the new item took a number of it
            MANAGERS,
            200,
        ),
    ]


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_endpoint_answers_as_the_table_says(api, world, persona):
    assert misanswered(api, world, persona, cases(world)) == []


@pytest.mark.parametrize("persona", ["leader", "member", "viewer"])
def test_a_read_token_reads_and_never_writes(api, world, persona):
    token = api.token(persona, scope="read")
    here = {"X-Task-Force": str(world.task_force_id)}
    for method, path, body, who, status in cases(world):
        response = api.call(method, path, token, json=body, headers=here)
        if method == "GET":
            assert response.status_code == (status if persona in who else 403), path
        else:
            problem = is_problem(response, 403)
            assert problem["type"].endswith(":read-only-token")


def test_the_me_endpoint_says_who_and_where(api, world):
    token = api.token("leader", scope="read")
    body = api.get("/api/v1/me", token).get_json()
    assert body["username"] == "leader"
    assert body["token"]["scope"] == "read" and body["token"]["prefix"] == token[:12]
    assert [tf["id"] for tf in body["task_forces"]] == [world.task_force_id]
    assert body["task_forces"][0]["roles"] == ["leader"]
    assert body["task_force_id"] == world.task_force_id
