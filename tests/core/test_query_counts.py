"""Queries, not loops: a page issues as many SQL statements for 60 rows as for 3."""

from __future__ import annotations

import pytest

from app.core import audit
from app.core.scope import unscoped
from app.extensions import db
from app.people.models import User
from tests import factories

PAGES = ["/", "/roster", "/admin/users", "/admin/audit", "/admin/task-forces", "/admin/org-units"]


def _grow(app, world, n: int, prefix: str = "") -> None:
    with app.app_context(), unscoped():
        task_force = db.session.get(factories.TaskForce, world.task_force_id)
        admin = db.session.get(User, world.users["admin"])
        for i in range(n):
            unit = factories.make_org_unit(f"{prefix}支行{i}", kind="sub_branch")
            user = factories.make_user(f"{prefix}extra{i}", org_unit_id=unit.id)
            factories.make_membership(user, task_force, "member")
            audit.record(admin, "updated", user, {"display_name": ["a", "b"]})
        db.session.commit()


def _counts(app, world) -> dict[str, int]:
    client = app.test_client()
    client.post("/login", data={"login": "admin", "password": factories.PASSWORD})
    client.post(f"/switch/{world.task_force_id}")
    counts = {}
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        counts[page] = int(response.headers["X-Query-Count"])
    return counts


@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_the_rows(app, world, page):
    # Each page read once, then a change: both measurements are first views after a
    # change, which move what is kept (the battle map's counts, ``issues.tally``).
    _counts(app, world)
    _grow(app, world, 1, prefix="first")
    before = _counts(app, world)[page]
    _grow(app, world, 12)
    after = _counts(app, world)[page]
    assert after == before
    assert after <= 12
