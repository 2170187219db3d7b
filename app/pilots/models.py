"""Pilots (试点), their objectives, review and decision, and the rollout (复制推广)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.files import StoredFile
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import OrgUnit, User

# Lifecycle.
PLANNED = "planned"  # 计划中
RUNNING = "running"  # 试点中
REVIEWING = "reviewing"  # 复盘中
DECIDED = "decided"  # 已决策（推广）
ROLLING_OUT = "rolling_out"  # 推广中
COMPLETED = "completed"  # 已完成
STOPPED = "stopped"  # 已终止
STATUSES = (PLANNED, RUNNING, REVIEWING, DECIDED, ROLLING_OUT, COMPLETED, STOPPED)
FINISHED = (COMPLETED, STOPPED)

# The go / extend / stop decision after the review.
ROLL_OUT = "roll_out"
EXTEND = "extend"
STOP = "stop"
OUTCOMES = (ROLL_OUT, EXTEND, STOP)

# A rollout task's status in one target org unit.
NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
DONE = "done"
NOT_APPLICABLE = "not_applicable"
ROLLOUT_STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, NOT_APPLICABLE)
OPEN_ROLLOUT = (NOT_STARTED, IN_PROGRESS)

pilot_issue = Table(
    "pilot_issue",
    db.metadata,
    Column("pilot_id", ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True),
    Column("issue_id", ForeignKey("issue.id"), primary_key=True),
)

pilot_unit = Table(
    "pilot_unit",
    db.metadata,
    Column("pilot_id", ForeignKey("pilot.id", ondelete="CASCADE"), primary_key=True),
    Column("org_unit_id", ForeignKey("org_unit.id"), primary_key=True),
)


class Pilot(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """A measure tried in one or a few org units first (基于试点抓落实)."""

    __tablename__ = "pilot"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    measure: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    starts_on: Mapped[date | None]
    planned_end: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=PLANNED, index=True)
    # The review (复盘).
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_did_not: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The decision, kept here until the decision register can link to it.
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_rationale: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    completed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    issues: Mapped[list[Issue]] = relationship(secondary=pilot_issue, order_by=Issue.code)
    units: Mapped[list[OrgUnit]] = relationship(secondary=pilot_unit, order_by=OrgUnit.sort_order)
    objectives: Mapped[list[PilotObjective]] = relationship(
        back_populates="pilot", order_by="PilotObjective.id"
    )
    rollouts: Mapped[list[RolloutTask]] = relationship(
        back_populates="pilot", order_by="RolloutTask.planned_on, RolloutTask.id"
    )

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


class PilotObjective(TaskForceScoped, db.Model):
    """What the pilot should achieve, with a metric: baseline, target, actual and when."""

    __tablename__ = "pilot_objective"
    __scope_index__ = False
    __table_args__ = (Index("ix_pilot_objective_tf_pilot", "task_force_id", "pilot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(60), default="")
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    measured_on: Mapped[date | None]

    pilot: Mapped[Pilot] = relationship(back_populates="objectives")

    @property
    def met(self) -> bool | None:
        """Reached the target, reading the direction from baseline and target."""
        if self.actual is None or self.target is None:
            return None
        if self.baseline is not None and self.target < self.baseline:
            return self.actual <= self.target
        return self.actual >= self.target


class PilotEvidence(StoredFile, TaskForceScoped, db.Model):
    """An evidence file of the review. Stored beside the issues' attachments."""

    __tablename__ = "pilot_evidence"
    __scope_index__ = False
    __table_args__ = (Index("ix_pilot_evidence_tf_pilot", "task_force_id", "pilot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)


class RolloutTask(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """The rollout plan for one target org unit."""

    __tablename__ = "rollout_task"
    __scope_index__ = False
    __table_args__ = (
        Index("ix_rollout_task_tf_pilot", "task_force_id", "pilot_id"),
        # A task force's rollouts of a month (the calendar).
        Index("ix_rollout_task_tf_planned", "task_force_id", "planned_on"),
        UniqueConstraint("pilot_id", "org_unit_id", name="uq_rollout_task_pilot_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    planned_on: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default=NOT_STARTED)
    done_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")

    pilot: Mapped[Pilot] = relationship(back_populates="rollouts")
    org_unit: Mapped[OrgUnit] = relationship()
    owner: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ROLLOUT

    def late_on(self, day: date) -> bool:
        return self.is_open and self.planned_on is not None and self.planned_on < day


class RolloutChange(TaskForceScoped, db.Model):
    """Each status a rollout task took, and when: coverage over time is replayed from it."""

    __tablename__ = "rollout_change"
    __scope_index__ = False
    __table_args__ = (Index("ix_rollout_change_tf_pilot", "task_force_id", "pilot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_id: Mapped[int] = mapped_column(ForeignKey("pilot.id"), index=True)
    rollout_task_id: Mapped[int] = mapped_column(ForeignKey("rollout_task.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    changed_on: Mapped[date]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


# Names and titles are one line, however they are set.
one_line_attributes(Pilot.name, PilotObjective.title, PilotObjective.metric)
