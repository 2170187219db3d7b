"""The mind map page and its data, edits from the map, and map export round trips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.models import AuditEvent
from app.core.scope import unscoped
from app.extensions import db
from app.issues.models import Category, Issue
from app.mindmap.formats import WRITERS, read_map
from tests import factories
from tests.mindmap.conftest import TODAY
from tests.mindmap.test_import import token_of, upload


def grow(app, world, dimensions: int, per_leaf: int) -> dict:
    with app.app_context(), unscoped():
        ids = {}
        for d in range(dimensions):
            top = factories.make_category(world.task_force_id, f"维度{d}", prefix=f"D{chr(65 + d)}")
            leaf = factories.make_category(world.task_force_id, f"子类{d}", parent=top)
            ids[d] = (top.id, leaf.id)
            for i in range(per_leaf):
                factories.make_issue(
                    leaf,
                    f"问题{d}-{i}",
                    status="closed" if i == 0 else "in_progress",
                    deadline=TODAY - timedelta(days=1) if i == 1 else TODAY + timedelta(days=60),
                )
        return ids


def test_map_data_counts_and_worst_light(app, login, world):
    ids = grow(app, world, 2, 3)
    client = login("viewer")
    assert client.get("/mindmap").status_code == 200
    data = client.get("/mindmap/data.json").get_json()
    nodes = {n["id"]: n for n in data["nodes"]}
    top, leaf = ids[0]
    assert nodes[leaf]["total"] == 3 and nodes[leaf]["closed"] == 1
    assert nodes[leaf]["light"] == "red"  # one item is overdue
    assert nodes[top]["total"] == 3 and nodes[top]["light"] == "red"
    assert nodes[leaf]["leaf"] and not nodes[top]["leaf"]
    assert nodes[leaf]["parent"] == top
    issues = client.get(f"/mindmap/categories/{leaf}/issues.json").get_json()
    assert [i["title"] for i in issues["issues"]] == ["问题0-0", "问题0-1", "问题0-2"]
    assert issues["issues"][0]["light"] == "grey"


def _touch(app, world) -> None:
    with app.app_context(), unscoped():
        db.session.get(Category, world.category_id).description = "改过的说明"
        db.session.commit()


def test_map_data_query_count_does_not_grow(app, login, world):
    client = login("leader")
    client.get("/mindmap/data.json")
    app.config["COUNT_QUERIES"] = True
    try:
        _touch(app, world)  # a change: the data is computed again, not cached
        first = int(client.get("/mindmap/data.json").headers["X-Query-Count"])
        page = int(client.get("/mindmap").headers["X-Query-Count"])
        grow(app, world, 4, 5)
        second = int(client.get("/mindmap/data.json").headers["X-Query-Count"])
        cached = int(client.get("/mindmap/data.json").headers["X-Query-Count"])
    finally:
        app.config["COUNT_QUERIES"] = False
    assert first == second <= 12
    assert cached < second  # unchanged data comes from the cache
    assert page <= 12


def world_other_category(world) -> int:
    issue = db.session.get(Issue, world.other_issue_id)
    return issue.category_id


def test_another_task_forces_category_is_not_found(login, world, look):
    client = login("leader")
    with look():
        other_category = world_other_category(world)
    assert client.get(f"/mindmap/categories/{other_category}/issues.json").status_code == 404
    assert (
        client.post(f"/mindmap/categories/{other_category}/rename", json={"name": "x"}).status_code
        == 404
    )


def test_editors_change_the_tree_from_the_map(app, login, world, look):
    client = login("leader")
    made = client.post(
        "/mindmap/categories", json={"name": "代发客户", "parent": world.category_id}
    )
    assert made.status_code == 201
    new_id = made.get_json()["id"]
    second = client.post(
        "/mindmap/categories", json={"name": "理财客户", "parent": world.category_id}
    )
    second_id = second.get_json()["id"]
    assert (
        client.post(
            f"/mindmap/categories/{new_id}/rename", json={"name": "代发工资客户"}
        ).status_code
        == 200
    )
    assert (
        client.post(f"/mindmap/categories/{second_id}/move", json={"step": -1}).status_code == 200
    )
    with look():
        first, then = db.session.get(Category, new_id), db.session.get(Category, second_id)
        assert first.name == "代发工资客户"
        assert then.sort_order < first.sort_order
    assert (
        client.post(f"/mindmap/categories/{new_id}/move", json={"parent": None}).status_code == 200
    )
    with look():
        moved = db.session.get(Category, new_id)
        assert moved.parent_id is None and moved.depth == 0
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_type == "category")
            )
        )
        assert {"created", "updated", "reordered"} <= actions
    # Refusals come back as JSON with the service's message.
    bad = client.post(f"/mindmap/categories/{world.category_id}/move", json={"parent": second_id})
    assert bad.status_code == 400 and bad.get_json()["error"]
    assert client.post("/mindmap/categories", json={"name": ""}).status_code == 400
    assert client.post("/mindmap/categories", data="nonsense").status_code == 400


def test_viewers_may_not_edit(login, world):
    client = login("viewer")
    assert client.post("/mindmap/categories", json={"name": "x"}).status_code == 403


def test_edits_need_the_csrf_token(app, login, world):
    import re

    client = login("leader")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/mindmap/categories", json={"name": "x"})
        page = client.get("/mindmap").text
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        accepted = client.post(
            "/mindmap/categories", json={"name": "x"}, headers={"X-CSRFToken": token}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    assert accepted.status_code == 201


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_export_then_import_gives_the_same_tree(app, login, world, look, fmt):
    grow(app, world, 2, 2)
    with look():
        issue = db.session.scalar(select(Issue).where(Issue.title == "问题1-1"))
        issue.description = "说明\n第二行"
        issue.priority = "urgent"
        db.session.commit()
    client = login("leader")
    response = client.get(f"/mindmap/export/{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    exported = response.data
    ext = WRITERS[fmt][2]
    with look():
        root = read_map(f"x.{ext}", exported)
        assert [c.title for c in root.children] == ["客户端", "维度0", "维度1"]
    # Into the same task force: nothing changes.
    again = upload(client, f"framework.{ext}", exported)
    assert 'data-testid="nothing-to-do"' in again.text, again.text[:3000]
    # Into an empty task force: the same tree comes back.
    with look():
        other = factories.make_task_force(f"新小组{fmt}")
        leader = factories.make_user(f"lead{fmt}")
        factories.make_membership(leader, other, "leader")
        other_id = other.id
    fresh = login(f"lead{fmt}")
    preview = upload(fresh, f"framework.{ext}", exported)
    fresh.post("/mindmap/import/apply", data={"token": token_of(preview)})
    with look():

        def plain(tf_id):
            categories = {
                c.id: c
                for c in db.session.scalars(select(Category).where(Category.task_force_id == tf_id))
            }

            def path(c):
                return (path(categories[c.parent_id]) if c.parent_id else ()) + (c.name,)

            cats = sorted(path(c) for c in categories.values())
            items = sorted(
                (path(categories[i.category_id]), i.title, i.description, i.priority)
                for i in db.session.scalars(select(Issue).where(Issue.task_force_id == tf_id))
            )
            return cats, items

        assert plain(other_id) == plain(world.task_force_id)
