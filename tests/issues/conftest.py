"""Fixtures for the problem list: a fixed day, the world's people, a logged-in client."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import User

# A Monday. The clock is frozen here before any data is built, so deadlines, lights and
# timestamps are the same on every run.
TODAY = date(2024, 6, 3)


def days(n: int) -> date:
    """The day ``n`` days from the frozen today."""
    return TODAY + timedelta(days=n)


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    clock.set_today(TODAY)


@pytest.fixture
def scoped(ctx, world):
    """Service calls as the first task force's pages make them."""
    with task_force_scope(world.task_force_id):
        yield


@pytest.fixture
def person(world):
    """The world's persona as a loaded user: ``person("member")``."""
    return lambda persona: db.session.get(User, world.users[persona])
