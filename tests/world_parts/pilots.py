"""The pilots feature's part of the test world: a pilot rolling out, and a KPI.

"member" owns the pilot and "temp_member" owns its rollout task, so every role the
table lets work on pilots is related to this one; the leaders act by role.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.core import clock
from app.extensions import db
from app.kpis.models import Kpi, KpiReading
from app.people.models import OrgUnit
from app.pilots.models import (
    DONE,
    NOT_STARTED,
    ROLL_OUT,
    ROLLING_OUT,
    Pilot,
    PilotEvidence,
    PilotObjective,
    RolloutChange,
    RolloutTask,
)
from tests.factories import store_bytes

URL_VALUES: dict = {
    "pilot_id": lambda w: w.ids["pilot"],
    "objective_id": lambda w: w.ids["objective"],
    "evidence_id": lambda w: w.ids["evidence"],
    "rollout_id": lambda w: w.ids["rollout"],
    "kpi_id": lambda w: w.ids["kpi"],
    "what": lambda w: "targets",  # a KPI's Excel grid: its targets or its readings
}


def build(world) -> None:
    """Add this feature's objects to the world (ids in world.ids)."""
    today = clock.today()
    tf = world.task_force_id
    site = db.session.get(OrgUnit, world.org_unit_id)
    target = OrgUnit(name="吉林分行", kind="branch")
    other = OrgUnit(name="延边分行", kind="branch")
    db.session.add_all([target, other])
    db.session.flush()
    pilot = Pilot(
        task_force_id=tf,
        name="长春分行私人银行中心改革",
        measure="私人银行中心独立运营",
        owner_id=world.users["member"],
        starts_on=today - timedelta(days=90),
        planned_end=today - timedelta(days=10),
        status=ROLLING_OUT,
        what_worked="客户经理专业化",
        lessons="先试点后推广",
        reviewed_at=clock.now(),
        reviewed_by_id=world.users["member"],
        decision=ROLL_OUT,
        decision_rationale="试点成效显著",
        decided_at=clock.now(),
        decided_by_id=world.users["leader"],
    )
    pilot.units = [site]
    db.session.add(pilot)
    db.session.flush()
    objective = PilotObjective(
        task_force_id=tf,
        pilot_id=pilot.id,
        title="私行客户AUM",
        metric="亿元",
        baseline=Decimal("50"),
        target=Decimal("60"),
    )
    rollout = RolloutTask(
        task_force_id=tf,
        pilot_id=pilot.id,
        org_unit_id=target.id,
        owner_id=world.users["temp_member"],
        planned_on=today + timedelta(days=30),
        status=NOT_STARTED,
    )
    done = RolloutTask(
        task_force_id=tf,
        pilot_id=pilot.id,
        org_unit_id=other.id,
        planned_on=today - timedelta(days=5),
        status=DONE,
        done_on=today - timedelta(days=6),
    )
    stored = "world-pilot-evidence.pdf"
    size, sha256 = store_bytes(stored, b"%PDF-1.4 review")
    evidence = PilotEvidence(
        task_force_id=tf,
        pilot_id=pilot.id,
        filename="复盘报告.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=size,
        sha256=sha256,
    )
    kpi = Kpi(
        task_force_id=tf,
        name="非存AUM",
        unit="yi_yuan",
        direction="up",
        baseline=Decimal("862"),
        target=Decimal("1000"),
        target_on=today + timedelta(days=200),
    )
    db.session.add_all([objective, rollout, done, evidence, kpi])
    db.session.flush()
    db.session.add_all(
        [
            RolloutChange(
                task_force_id=tf,
                pilot_id=pilot.id,
                rollout_task_id=task.id,
                status=task.status,
                changed_on=today - timedelta(days=6),
            )
            for task in (rollout, done)
        ]
        + [
            KpiReading(
                task_force_id=tf,
                kpi_id=kpi.id,
                period=today - timedelta(days=31),
                value=Decimal("900"),
            )
        ]
    )
    db.session.commit()
    world.ids.update(
        pilot=pilot.id,
        objective=objective.id,
        evidence=evidence.id,
        rollout=rollout.id,
        kpi=kpi.id,
        target_unit=target.id,
    )
