"""Fixtures for the discussion: a fixed clock, the world's people with real names."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.core.models import Notification
from app.core.scope import task_force_scope
from app.discussion.kinds import kind_named
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User
from tests.notify.conftest import receiver  # noqa: F401  (the robots' local receiver)

TODAY = date(2024, 6, 3)

NAMES = {
    "leader": "李明远",
    "exec_leader": "张慧",
    "member": "刘洋",
    "temp_member": "周婷",
    "viewer": "王芳",
    "expired_temp": "赵静",
    "outsider": "吴强",
    "stranger": "陈磊",  # a member of the other task force
}


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    clock.set_today(TODAY)


@pytest.fixture
def world(app, world):
    """The shared world, its people named as people are (so "@刘洋" means someone)."""
    from tests.conftest import in_app

    with in_app(app):
        for username, name in NAMES.items():
            user = db.session.scalar(select(User).where(User.username == username))
            user.display_name = name
        db.session.commit()
    return world


@pytest.fixture
def scoped(ctx, world):
    with task_force_scope(world.task_force_id):
        yield


@pytest.fixture
def person(world):
    return lambda persona: db.session.scalar(select(User).where(User.username == persona))


@pytest.fixture
def item(scoped, world):
    """The world's item, owned by "member" (刘洋), "temp_member" (周婷) collaborating."""
    return kind_named("issue"), db.session.get(Issue, world.issue_id)


def messages(**where) -> list[Notification]:
    query = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(db.session.scalars(query))


def later(minutes: int) -> None:
    clock.set_now(clock.now() + timedelta(minutes=minutes))
