"""The shape of the conversation: optimistic locking, problem details, pages and their
links, ISO dates in the installation's zone, the rate limit, the description."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core import clock
from tests.api.conftest import is_problem
from tests.factories import make_issue


def test_a_stale_version_is_409_and_a_stale_etag_412(api, world):
    raw = api.token("leader")
    path = f"/api/v1/items/{world.issue_id}"
    etag = api.get(path, raw).headers["ETag"]
    assert api.patch(path, raw, json={"title": "甲"}, headers={"If-Match": etag}).status_code == 200
    stale = is_problem(api.patch(path, raw, json={"title": "乙"}, headers={"If-Match": etag}), 412)
    assert stale["type"].endswith(":stale-edit")
    conflict = is_problem(api.patch(path, raw, json={"title": "乙", "version": 1}), 409)
    assert conflict["type"].endswith(":stale-edit")
    missing = is_problem(api.patch(path, raw, json={"title": "乙"}), 428)
    assert "version" in missing["detail"]
    assert api.get(path, raw).get_json()["title"] == "甲"


def test_input_refused_field_by_field_is_422(api, world):
    raw = api.token("leader")
    refused = is_problem(api.post("/api/v1/items", raw, json={"titel": "x"}), 422)
    assert set(refused["errors"]) == {"title", "category_id", "titel"}
    other_category = is_problem(
        api.post("/api/v1/items", raw, json={"title": "x", "category_id": 999999}), 422
    )
    assert list(other_category["errors"]) == ["category_id"]
    assert other_category["type"].endswith(":validation-failed")
    is_problem(api.get("/api/v1/items?status=nonsense", raw), 422)


def test_a_refused_move_and_a_confirmation_are_problems(api, world):
    raw = api.token("leader")
    path = f"/api/v1/items/{world.issue_id}/status"
    wrong = is_problem(api.post(path, raw, json={"status": "closed", "version": 1}), 409)
    assert wrong["type"].endswith(":invalid-transition")
    assert api.post(path, raw, json={"status": "verifying", "version": 1}).status_code == 200
    close = {"status": "closed", "verification_note": "已验收", "version": 2}
    asked = is_problem(api.post(path, raw, json=close), 409)
    assert asked["type"].endswith(":confirmation-required") and asked["details"]
    closed = api.post(path, raw, json={**close, "confirm": True})
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_at"].endswith("+08:00")


def test_a_viewer_refused_reads_in_chinese_and_english(api, world, look):
    from app.extensions import db
    from app.people.models import User

    raw = api.token("viewer")
    body = {"title": "x", "category_id": world.category_id}
    chinese = is_problem(api.post("/api/v1/items", raw, json=body), 403)
    assert chinese["title"] == "无权访问"
    with look():
        db.session.get(User, world.users["viewer"]).locale = "en"
        db.session.commit()
    english = is_problem(api.post("/api/v1/items", raw, json=body), 403)
    assert english["title"] == "Access denied"


def test_pages_link_to_each_other(api, world, look):
    from app.extensions import db
    from app.issues.models import Category

    with look():
        category = db.session.get(Category, world.category_id)
        for n in range(4):
            make_issue(category, f"分页{n}")
    raw = api.token("leader")
    first = api.get("/api/v1/items?per_page=2&q=分页", raw)
    body = first.get_json()
    assert (body["total"], body["pages"], body["page"]) == (4, 2, 1)
    assert body["links"]["prev"] is None and "page=2" in body["links"]["next"]
    assert 'rel="next"' in first.headers["Link"] and first.headers["X-Total-Count"] == "4"
    second = api.get(body["links"]["next"], raw).get_json()
    assert second["page"] == 2 and second["links"]["next"] is None
    assert {r["title"] for r in body["items"] + second["items"]} == {f"分页{n}" for n in range(4)}
    past = api.get("/api/v1/items?per_page=2&q=分页&page=99", raw).get_json()
    assert past["page"] == 2
    is_problem(api.get("/api/v1/items?per_page=101", raw), 422)


def test_filters_are_the_list_pages(api, world):
    raw = api.token("leader")
    mine = api.get(f"/api/v1/items?owner_id={world.users['member']}&status=in_progress", raw)
    assert [row["id"] for row in mine.get_json()["items"]] == [world.issue_id]
    none = api.get("/api/v1/items?status=closed&status=dropped", raw).get_json()
    assert none["total"] == 0


def test_instants_read_in_the_installations_zone(api, world):
    clock.set_now(datetime(2026, 12, 5, 2, 30, tzinfo=UTC))
    raw = api.token("member")
    made = api.post(f"/api/v1/items/{world.issue_id}/progress", raw, json={"note": "周报"})
    assert made.get_json()["created_at"] == "2026-12-05T10:30:00+08:00"


def test_the_rate_limit_answers_429_with_retry_after(app, api, world):
    """On an application of its own: the tests' configuration turns the limiter off."""
    from flask import request_finished

    from app import create_app
    from app.extensions import db, limiter
    from tests.openapi_check import check

    raw = api.token("member", scope="read")
    limited = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        API_RATE_LIMIT="3 per minute",
    )
    failures: list = []
    request_finished.connect(lambda s, response, **e: check(s, response, failures), limited)
    client = limited.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    try:
        limiter.reset()
        codes = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
        refused = client.get("/api/v1/me", headers=headers)
        other = client.get("/api/v1/me", headers={"Authorization": f"Bearer {api.token('leader')}"})
    finally:
        limiter.enabled = False
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()
    assert codes == [200, 200, 200]
    problem = is_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0 and problem["detail"]
    assert other.status_code == 200  # counted per token
    assert failures == []


def test_the_description_is_openapi_3_1_and_browsable(auth, client, world):
    auth.login("member")
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/items/{item_id}" in document["paths"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


def test_the_check_of_answers_catches_one_that_does_not_fit(app, world):
    """The suite's check (tests/openapi_check.py) is no rubber stamp."""
    from flask import Response

    from tests.openapi_check import check

    failures: list = []
    with app.test_request_context("/api/v1/me", headers={"Authorization": "Bearer x"}):
        from flask import request

        request.url_rule = app.url_map.bind("localhost").match("/api/v1/me", return_rule=True)[0]
        check(app, Response('{"id": "not a number"}', mimetype="application/json"), failures)
    assert len(failures) == 1
