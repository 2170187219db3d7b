"""Task-force scoping: nothing of one task force is visible from another."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.errors import NotFound
from app.core.scope import (
    ScopeMissing,
    ScopeViolation,
    get_in_scope,
    task_force_scope,
    unscoped,
)
from app.extensions import db
from app.people.models import Membership, User
from tests import factories


def test_another_task_forces_membership_is_not_found_by_id_over_http(app, world, auth, client):
    auth.login("leader")
    assert client.get(f"/roster/{world.memberships['member']}/role").status_code == 200
    assert client.get(f"/roster/{world.other_membership_id}/role").status_code == 404
    assert client.post(f"/roster/{world.other_membership_id}/end", data={}).status_code == 404


def test_the_roster_shows_only_the_current_task_forces_people(app, world, auth, client):
    auth.login("leader")
    page = client.get("/roster").get_data(as_text=True)
    assert "stranger" not in page  # on the other task force only
    assert "viewer" in page


def test_queries_see_only_the_task_force_in_scope(ctx, world):
    with task_force_scope(world.other_task_force_id):
        ids = db.session.scalars(select(Membership.id)).all()
    assert ids == [world.other_membership_id]
    with task_force_scope(world.task_force_id):
        count = db.session.scalar(select(func.count(Membership.id)))
    assert count == len(world.memberships)


def test_joins_and_relationship_loads_are_scoped_too(ctx, world):
    with task_force_scope(world.other_task_force_id):
        usernames = db.session.scalars(
            select(User.username).join(Membership, Membership.user_id == User.id)
        ).all()
    assert usernames == ["stranger"]


def test_a_user_on_no_task_force_sees_no_scoped_rows(ctx, world):
    with task_force_scope(None):
        assert db.session.scalars(select(Membership)).all() == []


def test_a_query_with_no_scope_at_all_is_refused_not_answered_with_everything(app, world):
    with app.app_context(), pytest.raises(ScopeMissing):
        db.session.scalars(select(Membership)).all()


def test_an_aggregates_filter_alone_is_scoped_and_refused_without_a_scope(app, world):
    """``count(…).filter(…)`` columns alone (the battle map's quarter, the headline
    figures) are scoped like any query of the model, and refused with no scope."""
    every = (Membership.role.is_not(None),)
    with app.app_context():
        with task_force_scope(world.other_task_force_id):
            counted = db.session.scalar(select(func.count(Membership.id).filter(*every)))
            starred = db.session.scalar(select(func.count().filter(*every)))
            part = select(func.count(Membership.id).filter(*every).label("n")).subquery()
            in_a_part = db.session.scalar(select(part.c.n))
        assert counted == starred == in_a_part == 1  # the stranger's membership alone
        with pytest.raises(ScopeMissing):
            db.session.scalar(select(func.count(Membership.id).filter(*every)))


def test_get_in_scope_ignores_objects_already_loaded_from_elsewhere(ctx, world):
    with unscoped():
        loaded = db.session.get(Membership, world.other_membership_id)
        assert loaded is not None
    with task_force_scope(world.task_force_id), pytest.raises(NotFound):
        get_in_scope(db.session, Membership, world.other_membership_id)
    with task_force_scope(world.task_force_id), pytest.raises(NotFound):
        get_in_scope(db.session, Membership, "not-a-number")


def test_writing_another_task_forces_row_is_refused(ctx, world):
    with unscoped():
        foreign = db.session.get(Membership, world.other_membership_id)
    with task_force_scope(world.task_force_id):
        foreign.note = "changed from the wrong task force"
        with pytest.raises(ScopeViolation):
            db.session.flush()
    db.session.rollback()


def test_new_rows_take_the_task_force_in_scope(ctx, world):
    user = factories.make_user("newcomer")
    with task_force_scope(world.task_force_id):
        from datetime import date

        membership = Membership(user_id=user.id, role="member", joined_on=date(2026, 1, 1))
        db.session.add(membership)
        db.session.commit()
        assert membership.task_force_id == world.task_force_id
