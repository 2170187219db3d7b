"""Deadline extension requests (延期申请): the owner of an item asks for a later deadline
with a reason; the executive leader (or the leader alone, for a major item) approves or
declines it with a comment. An approval moves the item's deadline in the same unit of
work; the requests keep the original deadline and how many times it was moved."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.models import TimestampMixin, VersionMixin
from app.core.permissions import EXEC_LEADER, LEADER
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue
from app.people.models import User

PENDING = "pending"
APPROVED = "approved"
DECLINED = "declined"
STATUSES = (PENDING, APPROVED, DECLINED)

# At most one pending request per item; the database keeps it so under a race too.
_PENDING_ONLY = text("status = 'pending'")


class DeadlineExtension(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """One request for a later deadline on an item, and its decision."""

    __tablename__ = "deadline_extension"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    # The deadline when asked (the item may have had none), and the one asked for.
    current_deadline: Mapped[date | None]
    requested_deadline: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(Text, default="")

    issue: Mapped[Issue] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (
        Index("ix_deadline_extension_tf_status", "task_force_id", "status", "requested_at"),
        Index(
            "uq_deadline_extension_pending",
            "issue_id",
            unique=True,
            sqlite_where=_PENDING_ONLY,
            postgresql_where=_PENDING_ONLY,
        ),
    )

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    @property
    def level(self) -> str:
        """Who decides (``core.permissions.of_the_escalated_level`` reads it): the leader
        alone for a major item, else the executive leader or the leader."""
        return LEADER if self.issue.major else EXEC_LEADER
