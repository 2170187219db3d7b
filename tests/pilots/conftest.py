"""Fixtures for pilots: the problem list's fixed day and personas, and a pilot builder."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core import clock
from app.extensions import db
from app.people.models import OrgUnit
from app.pilots.models import Pilot, RolloutChange, RolloutTask
from tests.issues.conftest import TODAY, _on_a_fixed_day, days, person, scoped  # noqa: F401


@pytest.fixture
def make_pilot(world):
    """``make_pilot(status=..., owner="member", reviewed=True, decision="roll_out")``."""

    def build(
        status: str = "planned",
        owner: str | None = "member",
        reviewed: bool = False,
        decision: str | None = None,
        name: str = "试点",
        **fields,
    ) -> Pilot:
        pilot = Pilot(
            task_force_id=world.task_force_id,
            name=name,
            owner_id=world.users[owner] if owner else None,
            status=status,
            starts_on=fields.pop("starts_on", clock.today() - timedelta(days=60)),
            decision=decision,
            **fields,
        )
        if reviewed:
            pilot.what_worked = "有效"
            pilot.reviewed_at = clock.now()
        db.session.add(pilot)
        db.session.commit()
        return pilot

    return build


@pytest.fixture
def make_unit():
    def build(name: str, kind: str = "branch") -> OrgUnit:
        unit = OrgUnit(name=name, kind=kind)
        db.session.add(unit)
        db.session.commit()
        return unit

    return build


@pytest.fixture
def add_rollout(world):
    """``add_rollout(pilot, unit, status="not_started", owner="temp_member", planned_on=...)``."""

    def build(pilot, unit, status="not_started", owner=None, planned_on=None, on=None):
        task = RolloutTask(
            task_force_id=pilot.task_force_id,
            pilot_id=pilot.id,
            org_unit_id=unit.id,
            status=status,
            owner_id=world.users[owner] if owner else None,
            planned_on=planned_on,
        )
        db.session.add(task)
        db.session.flush()
        db.session.add(
            RolloutChange(
                task_force_id=pilot.task_force_id,
                pilot_id=pilot.id,
                rollout_task_id=task.id,
                status=status,
                changed_on=on or clock.today(),
            )
        )
        db.session.commit()
        return task

    return build
