"""Links between items (关联): one item blocks, relates to or duplicates another item of
the same task force. A link is stored once, from its source; "blocked by" and "duplicated
by" are the same rows read from the other side (``service/relations.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.issues.models import Issue

BLOCKS = "blocks"
RELATES = "relates"
DUPLICATES = "duplicates"
LINK_KINDS = (BLOCKS, RELATES, DUPLICATES)


class IssueLink(TaskForceScoped, db.Model):
    """``source`` blocks / relates to / duplicates ``target``."""

    __tablename__ = "issue_link"
    __scope_index__ = False
    __table_args__ = (
        # One link per ordered pair; the service refuses the reverse pair too.
        UniqueConstraint("source_id", "target_id", name="uq_issue_link_pair"),
        Index("ix_issue_link_tf_source", "task_force_id", "source_id"),
        Index("ix_issue_link_tf_target", "task_force_id", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    source: Mapped[Issue] = relationship(foreign_keys=[source_id])
    target: Mapped[Issue] = relationship(foreign_keys=[target_id])
