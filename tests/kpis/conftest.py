"""Fixtures for the goal figures: the problem list's fixed day and personas, a KPI builder."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.extensions import db
from app.kpis.models import Kpi, KpiReading
from tests.issues.conftest import TODAY, _on_a_fixed_day, days, person, scoped  # noqa: F401


@pytest.fixture
def make_kpi(world):
    """``make_kpi("非存AUM", 862, 1000, readings={date: value}, direction="up")``."""

    def build(name, baseline, target, readings=None, direction="up", unit="yi_yuan") -> Kpi:
        kpi = Kpi(
            task_force_id=world.task_force_id,
            name=name,
            unit=unit,
            direction=direction,
            baseline=Decimal(str(baseline)),
            target=Decimal(str(target)),
        )
        db.session.add(kpi)
        db.session.flush()
        for period, value in (readings or {}).items():
            db.session.add(
                KpiReading(
                    task_force_id=world.task_force_id,
                    kpi_id=kpi.id,
                    period=period,
                    value=Decimal(str(value)),
                )
            )
        db.session.commit()
        db.session.refresh(kpi)
        return kpi

    return build
