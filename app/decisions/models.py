"""Escalations (提级) with their decisions, nudges (催办) and incentives (考核激励)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import OrgUnit, User

# Kinds of the source case: 提级沟通, 提级决策, 提级督导.
COMMUNICATION = "communication"
DECISION = "decision"
SUPERVISION = "supervision"
KINDS = (COMMUNICATION, DECISION, SUPERVISION)

# Who decides: the executive leader (or the leader), or the leader alone.
LEVEL_EXEC = "exec_leader"
LEVEL_LEADER = "leader"
LEVELS = (LEVEL_EXEC, LEVEL_LEADER)

PENDING = "pending"
DECIDED = "decided"
ESCALATION_STATUSES = (PENDING, DECIDED)

POSITIVE = "positive"
NEGATIVE = "negative"
POLARITIES = (POSITIVE, NEGATIVE)
# Kinds of incentive; free to grow, labelled in ``labels.py``.
INCENTIVE_KINDS = ("commendation", "bonus", "promotion", "criticism", "deduction", "other")


class Escalation(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """A question moved up a level about one issue, waiting for (or holding) a decision."""

    __tablename__ = "escalation"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    recommendation: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The day of the meeting whose agenda it is put on (chosen from the meetings or typed).
    scheduled_for: Mapped[date | None]

    issue: Mapped[Issue] = relationship()
    raised_by: Mapped[User] = relationship()
    decision: Mapped[Decision | None] = relationship(back_populates="escalation", uselist=False)

    __table_args__ = (
        Index("ix_escalation_tf_status_raised", "task_force_id", "status", "raised_at"),
    )

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    def overdue_on(self, day: date) -> bool:
        return self.status == PENDING and self.due_on < day


class Decision(TaskForceScoped, db.Model):
    """What was decided on an escalation, by whom, when, and in which meeting."""

    __tablename__ = "decision"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalation.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    chosen_option: Mapped[str] = mapped_column(Text, default="")
    rationale: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The meeting it was decided in (by table name: meetings is a sibling feature).
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    # What the decision did to the issue, for the register.
    unblocked: Mapped[bool] = mapped_column(default=False)
    new_deadline: Mapped[date | None]
    new_owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    escalation: Mapped[Escalation] = relationship(back_populates="decision")
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_decision_tf_decided", "task_force_id", "decided_at"),)


class Nudge(TaskForceScoped, db.Model):
    """A reminder (催办) sent to an item's owner by a leader."""

    __tablename__ = "nudge"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)

    __table_args__ = (Index("ix_nudge_tf_issue", "task_force_id", "issue_id"),)


class Incentive(TaskForceScoped, TimestampMixin, db.Model):
    """A positive or negative incentive for a person or an org unit (正反两方面考核激励)."""

    __tablename__ = "incentive"

    id: Mapped[int] = mapped_column(primary_key=True)
    polarity: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    awarded_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    org_unit: Mapped[OrgUnit | None] = relationship()
    issue: Mapped[Issue | None] = relationship()


# Names and titles are one line, however they are set.
one_line_attributes(Nudge.note)
