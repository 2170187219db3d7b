"""Items through the API: list, read, create, edit, move; as each role and token."""

from __future__ import annotations

from tests.api.conftest import is_problem


def test_leader_lists_reads_creates_and_edits(api, world):
    token = api.token("leader")
    listed = api.get("/api/v1/items", token)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    body = listed.get_json()
    assert body["total"] >= 1 and body["links"]["self"]
    first = body["items"][0]
    read = api.get(f"/api/v1/items/{first['id']}", token)
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"{first["version"]}"'
    created = api.post(
        "/api/v1/items",
        token,
        json={"title": "接口创建的问题", "category_id": first["category"]["id"]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    item = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/items/{item['id']}")
    edited = api.patch(
        f"/api/v1/items/{item['id']}", token, json={"title": "改过的", "version": item["version"]}
    )
    assert edited.status_code == 200, edited.get_data(as_text=True)
    assert edited.get_json()["title"] == "改过的"
    stale = api.patch(
        f"/api/v1/items/{item['id']}", token, json={"title": "再改", "version": item["version"]}
    )
    is_problem(stale, 409)


def test_no_token_is_401(api, world):
    response = api.get("/api/v1/items", None)
    is_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
