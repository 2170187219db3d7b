"""Fixtures for the mind map: a fixed day, sample files, logged-in clients."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.core import clock
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import User

TODAY = date(2024, 6, 3)
SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    clock.set_today(TODAY)


@pytest.fixture
def sample():
    return lambda name: (SAMPLES / name).read_bytes()


@pytest.fixture
def scoped(ctx, world):
    with task_force_scope(world.task_force_id):
        yield


@pytest.fixture
def person(world):
    return lambda persona: db.session.get(User, world.users[persona])
