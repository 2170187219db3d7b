"""The leader's instruction (领导批示) on an item or on one of its escalations.

The leader or the executive leader writes it; its owner (the item's owner, or for an
escalation the person who raised it) marks it read (已阅) and answers how it will be
carried out (落实情况). An unanswered instruction keeps its item red on the supervision
boards and is reminded daily.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin
from app.core.scope import TaskForceScoped
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User


class Instruction(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """One 批示: the text, who wrote it and when; when it was read and answered, by whom."""

    __tablename__ = "instruction"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    # Set when the instruction is written on an escalation of the item.
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalation.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    written_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    issue: Mapped[Issue] = relationship()
    escalation: Mapped[Escalation | None] = relationship()
    written_by: Mapped[User] = relationship(foreign_keys=[written_by_id])
    read_by: Mapped[User | None] = relationship(foreign_keys=[read_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    __table_args__ = (
        Index("ix_instruction_tf_answered", "task_force_id", "answered_at"),
        Index("ix_instruction_tf_written", "task_force_id", "written_at"),
    )

    @property
    def owner_id(self) -> int | None:
        """Who must read and answer it: the raiser of its escalation, else the item's owner
        (the permission table's ``owns`` reads this)."""
        if self.escalation_id is not None:
            return self.escalation.raised_by_id
        return self.issue.owner_id

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
