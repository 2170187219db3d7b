"""Guards of the speed devices that stay (ARCHITECTURE.md, "Speed devices").

- The versioned fragment cache: a body cached for everyone with the same roles must be
  the same whoever reads it first, and must not mention its first reader.
- The bulk insert of the reminder pass: past the ORM, it still keeps the scope and gives
  the task forces it writes to a new data version, like any write.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.freshness import fragment_cache
from app.core.permissions import LEADER
from app.core.scope import ScopeMissing, ScopeViolation, task_force_scope, unscoped
from app.extensions import db
from app.issues.models import Category
from app.notify import store
from app.people.models import TaskForce, User
from tests import factories
from tests.factories import PASSWORD

# The pages whose bodies are cached for every reader with the same roles (not personal).
SHARED_PAGES = [
    "/",
    "/issues",
    "/board",
    "/schedule",
    "/pilots",
    "/pilots/matrix",
    "/kpis",
    "/decisions",
    "/scorecards",
    "/roster",
    "/calendar",
]
SECOND_LEADER = "同组第二位组长"


@pytest.fixture
def two_leaders(app, world):
    with app.app_context(), unscoped():
        second = factories.make_user("leader2", display_name=SECOND_LEADER)
        factories.make_membership(second, db.session.get(TaskForce, world.task_force_id), LEADER)
        db.session.commit()
    return ["leader", "leader2"]


def _cached_after_reading(app, username: str, path: str) -> dict:
    with app.app_context():
        fragment_cache().clear()
    client = app.test_client()
    client.post("/login", data={"login": username, "password": PASSWORD})
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    with app.app_context():
        return dict(fragment_cache()._items)


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_a_shared_body_is_the_same_whoever_reads_it_first(app, two_leaders, path):
    first = _cached_after_reading(app, two_leaders[0], path)
    second = _cached_after_reading(app, two_leaders[1], path)
    shared = first.keys() & second.keys()
    assert shared, f"{path}: nothing cached for all readers with the same roles"
    assert {k: first[k] for k in shared} == {k: second[k] for k in shared}


@pytest.mark.parametrize("path", SHARED_PAGES)
def test_a_shared_body_does_not_mention_its_reader(app, two_leaders, path):
    """Nothing of the reader's own: not their login, and no form token (it belongs to
    their session; a form that needs one makes its page personal). Their name may be
    there as anyone's is, as the data (an owner in a picker, a member on the roster):
    that it is the same for the other reader is the test above."""
    others = _cached_after_reading(app, "leader", path)
    cached = _cached_after_reading(app, "leader2", path)
    # What both readers' views left under the same key; a personal part (the saved views
    # menu, kept per reader and session) is under a key of its reader's own.
    shared = [value for key, value in cached.items() if key in others]
    assert shared
    for value in shared:
        if path != "/roster":  # the roster lists each member's login: there it is data
            assert "leader2" not in str(value), path
        assert "csrf_token" not in str(value), path


def _rows(task_force_id):
    return [{"task_force_id": task_force_id, "name": "批量"}]


def test_a_bulk_write_keeps_the_scope(app, world):
    table = Category.__table__
    with app.app_context():
        with task_force_scope(world.task_force_id):
            with pytest.raises(ScopeViolation):
                store._as_any_write(table, _rows(world.other_task_force_id))
            with pytest.raises(ScopeMissing):
                store._as_any_write(table, _rows(None))
            store._as_any_write(table, _rows(world.task_force_id))
        with unscoped():
            store._as_any_write(table, _rows(world.other_task_force_id))
        db.session.rollback()


def test_a_bulk_write_gives_its_task_forces_a_new_version(app, world):
    def versions():
        with app.app_context(), unscoped():
            rows = db.session.execute(select(TaskForce.id, TaskForce.data_version)).all()
            return dict(rows)

    before = versions()
    with app.app_context(), unscoped():
        store._as_any_write(Category.__table__, _rows(world.task_force_id))
        db.session.commit()
    after = versions()
    assert after[world.task_force_id] == before[world.task_force_id] + 1
    assert after[world.other_task_force_id] == before[world.other_task_force_id]


def test_a_bulk_write_of_names_shown_everywhere_renews_every_version(app, world):
    with app.app_context(), unscoped():
        before = db.session.scalar(
            select(TaskForce.data_version).where(TaskForce.id == world.other_task_force_id)
        )
        store._as_any_write(User.__table__, [{"username": "x"}])
        db.session.commit()
        after = db.session.scalar(
            select(TaskForce.data_version).where(TaskForce.id == world.other_task_force_id)
        )
    assert after == before + 1
