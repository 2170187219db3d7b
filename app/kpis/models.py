"""Goal figures (KPIs): target, baseline and periodic readings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import OrgUnit, User

UNITS = ("yi_yuan", "percent", "count")  # 亿元 / % / 个
UP = "up"  # higher is better
DOWN = "down"  # lower is better
DIRECTIONS = (UP, DOWN)

# How the task force's figure follows from its units' (目标任务分解): the sum (balances,
# sales, counts), the average weighted by each unit's fixed weight, or the ratio recomputed
# from the units' numerators and denominators (a rate: Σ numerator ÷ Σ denominator).
SUM = "sum"
WEIGHTED = "weighted"
RATIO = "ratio"
AGGREGATIONS = (SUM, WEIGHTED, RATIO)
QUARTER = "quarter"
MONTH = "month"
BREAKDOWN_PERIODS = (QUARTER, MONTH)

kpi_issue = Table(
    "kpi_issue",
    db.metadata,
    Column("kpi_id", ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True),
    Column("issue_id", ForeignKey("issue.id"), primary_key=True),
)

# Pilots are a sibling feature: the link is declared by table name, not by import.
kpi_pilot = Table(
    "kpi_pilot",
    db.metadata,
    Column("kpi_id", ForeignKey("kpi.id", ondelete="CASCADE"), primary_key=True),
    Column("pilot_id", ForeignKey("pilot.id"), primary_key=True),
)


class Kpi(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """One goal figure, e.g. non-deposit AUM toward 1,000 亿元 (非存AUM千亿目标)."""

    __tablename__ = "kpi"
    __table_args__ = (UniqueConstraint("task_force_id", "name", name="uq_kpi_task_force_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="yi_yuan")
    direction: Mapped[str] = mapped_column(String(10), default=UP)
    baseline: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    baseline_on: Mapped[date | None]
    target: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    target_on: Mapped[date | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    # The breakdown by org unit and period: None while the figure is the task force's only.
    breakdown: Mapped[str | None] = mapped_column(String(10))
    aggregation: Mapped[str] = mapped_column(String(10), default=SUM, server_default=SUM)
    # How far below a period's target (in points of attainment) a unit is yellow, not red.
    tolerance: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=5, server_default="5")

    issues: Mapped[list[Issue]] = relationship(secondary=kpi_issue, order_by=Issue.code)
    readings: Mapped[list[KpiReading]] = relationship(
        back_populates="kpi", order_by="KpiReading.period"
    )


class KpiReading(TaskForceScoped, db.Model):
    """The figure for one period (a month, usually), dated by the period's last day."""

    __tablename__ = "kpi_reading"
    __scope_index__ = False
    __table_args__ = (
        Index("ix_kpi_reading_tf_kpi", "task_force_id", "kpi_id"),
        UniqueConstraint("kpi_id", "period", name="uq_kpi_reading_kpi_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id"), index=True)
    period: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    note: Mapped[str] = mapped_column(String(200), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    kpi: Mapped[Kpi] = relationship(back_populates="readings")
    entered_by: Mapped[User | None] = relationship()


class KpiUnit(TaskForceScoped, db.Model):
    """An org unit that carries part of a KPI, with its starting figure and its weight."""

    __tablename__ = "kpi_unit"
    __scope_index__ = False
    __table_args__ = (UniqueConstraint("kpi_id", "org_unit_id", name="uq_kpi_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    weight: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    sort_order: Mapped[int] = mapped_column(default=0)

    org_unit: Mapped[OrgUnit] = relationship()


class KpiUnitTarget(TaskForceScoped, db.Model):
    """A unit's target for one period, as the figure should stand at the period's end."""

    __tablename__ = "kpi_unit_target"
    __scope_index__ = False
    __table_args__ = (
        UniqueConstraint("kpi_id", "org_unit_id", "period", name="uq_kpi_unit_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class KpiTargetChange(TaskForceScoped, db.Model):
    """One change of a unit's target: the targets' versions, newest last."""

    __tablename__ = "kpi_target_change"
    __scope_index__ = False
    __table_args__ = (Index("ix_kpi_target_change_kpi", "kpi_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[date]
    old: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    new: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=clock.now)

    org_unit: Mapped[OrgUnit] = relationship()
    changed_by: Mapped[User | None] = relationship()


class KpiUnitReading(TaskForceScoped, db.Model):
    """A unit's figure at a period's end; a ratio KPI keeps its numerator and denominator."""

    __tablename__ = "kpi_unit_reading"
    __scope_index__ = False
    __table_args__ = (
        UniqueConstraint("kpi_id", "org_unit_id", "period", name="uq_kpi_unit_reading"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="CASCADE"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    period: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    numerator: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    denominator: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entered_at: Mapped[datetime] = mapped_column(default=clock.now)

    entered_by: Mapped[User | None] = relationship()


# Names and titles are one line, however they are set.
one_line_attributes(Kpi.name, KpiReading.note)
