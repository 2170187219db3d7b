"""Tokens: how they are made, shown, listed, refused; what each one reaches."""

from __future__ import annotations

from sqlalchemy import select

from app.api.models import ApiToken, ServiceAccount
from app.core.models import AuditEvent
from app.extensions import db
from app.people.models import TaskForce, User
from tests.api.conftest import is_problem
from tests.factories import make_membership


def test_a_token_is_shown_once_and_kept_hashed(app, auth, client, world, look):
    auth.login("member")
    page = client.post("/account/api-tokens", data={"name": "OA 同步", "scope": "read", "days": 90})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    start = html.index('value="gjp_') + len('value="')
    raw = html[start : html.index('"', start)]
    assert len(raw) == 44
    with look():
        token = db.session.scalar(select(ApiToken))
        assert token.token_hash != raw and raw not in (token.prefix, token.name)
        assert token.prefix == raw[:12] and token.scope == "read"
    again = client.get("/account/api-tokens").get_data(as_text=True)
    assert raw not in again and raw[:12] in again and "从未" in again


def test_last_use_is_listed_and_revoking_stops_the_token(api, auth, client, world, look):
    raw = api.token("member")
    assert api.get("/api/v1/me", raw).status_code == 200
    auth.login("member")
    listed = client.get("/account/api-tokens").get_data(as_text=True)
    assert "从未" not in listed
    with look():
        token = db.session.scalar(select(ApiToken))
        assert token.last_used_at is not None
        token_id = token.id
    assert client.post(f"/account/api-tokens/{token_id}/revoke").status_code == 302
    refused = is_problem(api.get("/api/v1/me", raw), 401)
    assert refused["type"].endswith(":invalid-token")
    assert 'error="invalid_token"' in api.get("/api/v1/me", raw).headers["WWW-Authenticate"]


def test_someone_else_cannot_revoke_my_token(api, auth, client, world):
    raw = api.token("member")
    auth.login("leader")
    client.post("/account/api-tokens/1/revoke")
    assert api.get("/api/v1/me", raw).status_code == 200


def test_an_expired_token_is_401(api, world):
    raw = api.token("leader")
    api.expire(raw)
    is_problem(api.get("/api/v1/items", raw), 401)


def test_a_made_up_token_and_a_browser_session_are_401(api, auth, client, world):
    is_problem(api.get("/api/v1/items", "gjp_" + "x" * 40), 401)
    auth.login("leader")  # the browser's cookie opens no API call, GET or POST
    is_problem(client.get("/api/v1/items"), 401)
    is_problem(client.post("/api/v1/items", json={"title": "x", "category_id": 1}), 401)


def test_a_token_bound_to_one_task_force_reaches_only_it(app, api, world, look):
    with look():
        leader = db.session.get(User, world.users["leader"])
        make_membership(leader, db.session.get(TaskForce, world.other_task_force_id))
    bound = api.token("leader", task_force_id=world.other_task_force_id)
    listed = api.get("/api/v1/items", bound).get_json()
    assert [row["id"] for row in listed["items"]] == [world.other_issue_id]
    is_problem(api.get(f"/api/v1/items/{world.issue_id}", bound), 404)
    here = {"X-Task-Force": str(world.task_force_id)}
    is_problem(api.get("/api/v1/items", bound, headers=here), 404)
    every = api.token("leader")
    assert api.get(f"/api/v1/items/{world.issue_id}", every, headers=here).status_code == 200
    there = f"/api/v1/items/{world.other_issue_id}?task_force={world.other_task_force_id}"
    assert api.get(there, every).status_code == 200
    assert api.get(f"/api/v1/items?task_force={world.task_force_id}", bound).status_code == 404


def test_another_task_forces_item_is_404(api, world):
    raw = api.token("leader")
    path = f"/api/v1/items/{world.other_issue_id}"
    is_problem(api.get(path, raw), 404)
    is_problem(api.patch(path, raw, json={"title": "x", "version": 1}), 404)
    is_problem(api.post(f"{path}/progress", raw, json={"note": "x"}), 404)


def test_every_write_is_audited_with_its_token(api, world, look):
    raw = api.token("member")
    path = f"/api/v1/items/{world.issue_id}"
    assert api.patch(path, raw, json={"solution": "新方案", "version": 1}).status_code == 200
    assert api.post(f"{path}/progress", raw, json={"note": "推进中"}).status_code == 201
    with look():
        token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == raw[:12]))
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "issue"))
        stamped = {(e.action, e.api_token_id) for e in events if e.actor_id == token.user_id}
    assert stamped == {("updated", token.id), ("progress", token.id)}


def test_the_audit_log_page_says_which_token_a_change_came_through(api, auth, client, world):
    raw = api.token("member")
    path = f"/api/v1/items/{world.issue_id}"
    assert api.patch(path, raw, json={"solution": "新方案", "version": 1}).status_code == 200
    auth.login("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count('data-testid="through-token"') == 1
    assert f"经 API 令牌 member ({raw[:12]}…)" in page


def test_a_person_cannot_make_a_token_for_someone_else(app, world, look):
    from app.api import tokens
    from app.core.errors import PermissionDenied

    with look():
        leader = db.session.get(User, world.users["leader"])
        member = db.session.get(User, world.users["member"])
        admin = db.session.get(User, world.users["admin"])
        for actor in (leader, admin):  # the member is no service account
            try:
                tokens.create_token(actor, member, tokens.TokenInput("x", "read", 30))
            except PermissionDenied:
                continue
            raise AssertionError(f"{actor.username} made a token for the member")


def test_the_admin_makes_a_service_account_and_its_token(api, auth, client, world, look):
    auth.login("admin")
    made = client.post(
        "/admin/service-accounts",
        data={
            "username": "dw-feed",
            "display_name": "数据仓库",
            "email": "dw@bank.local",
            "purpose": "KPI 读数",
        },
    )
    assert made.status_code == 302
    with look():
        account = db.session.scalar(select(ServiceAccount))
        user_id = account.user_id
        make_membership(
            db.session.get(User, user_id), db.session.get(TaskForce, world.task_force_id)
        )
    page = client.post(
        f"/admin/service-accounts/{user_id}/tokens",
        data={"name": "数仓", "scope": "write", "days": 30, "task_force_id": world.task_force_id},
    )
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    start = html.index('value="gjp_') + len('value="')
    raw = html[start : html.index('"', start)]
    me = api.get("/api/v1/me", raw).get_json()
    assert me["username"] == "dw-feed" and me["token"]["task_force_id"] == world.task_force_id
    assert client.get(f"/admin/service-accounts/{user_id}/tokens").status_code == 200
    # The member's page is no way to an account that is not a service account.
    assert client.get(f"/admin/service-accounts/{world.users['member']}/tokens").status_code == 404


def test_a_token_form_refuses_a_task_force_not_ones_own(auth, client, world):
    auth.login("member")
    page = client.post(
        "/account/api-tokens",
        data={"name": "x", "scope": "read", "days": 30, "task_force_id": world.other_task_force_id},
    )
    assert page.status_code == 400
    assert "gjp_" not in page.get_data(as_text=True)
