"""Categories (the mind-map framework), issues and what hangs off them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.files import StoredFile
from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.people.models import OrgUnit, User

# Workflow states, in the order of the 督办 practice.
NEW = "new"  # 待分析
PLANNING = "planning"  # 方案制定
IN_PROGRESS = "in_progress"  # 推进中
VERIFYING = "verifying"  # 待验收
CLOSED = "closed"  # 已销号
BLOCKED = "blocked"  # 受阻
DROPPED = "dropped"  # 已撤销
STATUSES = (NEW, PLANNING, IN_PROGRESS, VERIFYING, CLOSED, BLOCKED, DROPPED)
OPEN_STATUSES = (NEW, PLANNING, IN_PROGRESS, VERIFYING, BLOCKED)
FINISHED_STATUSES = (CLOSED, DROPPED)
# The condition of a partial index: an item its owner has not acknowledged yet.
UNACKNOWLEDGED = text("acknowledged_at IS NULL")

PRIORITIES = ("urgent", "high", "medium", "low")  # 紧急 / 高 / 中 / 低
SOURCES = ("research", "meeting", "intake", "escalation", "other")

# Traffic lights (红黄绿灯), computed, never stored.
RED, YELLOW, GREEN, GREY = "red", "yellow", "green", "grey"
LIGHTS = (RED, YELLOW, GREEN, GREY)


class Category(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """A node of the problem framework: a dimension (客户端 …) or a sub-dimension.

    ``path`` is the materialised path of ids (``/3/17/``), so a subtree is one
    ``LIKE '/3/%'`` away, in SQL, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    depth: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Action priority (行动优先级): 1 is the most pressing.
    action_priority: Mapped[int] = mapped_column(default=2)
    # Top-level dimensions number their issues: KH-001, QD-014 …
    code_prefix: Mapped[str | None] = mapped_column(String(10))
    next_number: Mapped[int] = mapped_column(default=1)
    archived_at: Mapped[datetime | None]

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("task_force_id", "code_prefix", name="uq_category_task_force_prefix"),
    )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


issue_collaborator = Table(
    "issue_collaborator",
    db.metadata,
    Column("issue_id", ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
    # "Where I collaborate" (my items) starts from the person, not from every item.
    Index("ix_issue_collaborator_user", "user_id", "issue_id"),
)


class Issue(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """One key problem (问题) with its solution, owner and deadline."""

    __tablename__ = "issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    deadline: Mapped[date | None] = mapped_column(index=True)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    status: Mapped[str] = mapped_column(String(20), default=NEW, index=True)
    major: Mapped[bool] = mapped_column(default=False)
    # Under the leader's supervision (组长督办), set by a supervision escalation until lifted.
    supervised: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(20), default="research")
    # Assignment and acknowledgement (签收).
    assigned_at: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None]
    # The status before a block, to return to when unblocked.
    resume_status: Mapped[str | None] = mapped_column(String(20))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verification_note: Mapped[str] = mapped_column(Text, default="")
    # What was still open when the item was closed anyway (service.open_work's record):
    # kept with the verification, cleared when the item is reopened.
    open_at_closing: Mapped[dict | None] = mapped_column(JSON)
    percent: Mapped[int] = mapped_column(default=0)
    # Last progress update: "no update for M days" turns the light yellow.
    last_progress_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    category: Mapped[Category] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    org_unit: Mapped[OrgUnit | None] = relationship()
    collaborators: Mapped[list[User]] = relationship(secondary=issue_collaborator)
    subtasks: Mapped[list[Subtask]] = relationship(
        back_populates="issue", order_by="Subtask.sort_order, Subtask.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="issue", order_by="Milestone.due_on, Milestone.id"
    )

    __table_args__ = (
        UniqueConstraint("task_force_id", "code", name="uq_issue_task_force_code"),
        Index("ix_issue_tf_status_deadline", "task_force_id", "status", "deadline"),
        # The board's closed and dropped columns: most recently changed first.
        Index("ix_issue_tf_status_updated", "task_force_id", "status", "updated_at"),
        # The battle map's recently closed items, and its headline figures and lights
        # counted from the index alone (the columns they test after the first three).
        Index(
            "ix_issue_figures",
            "task_force_id",
            "status",
            "closed_at",
            "deadline",
            "created_at",
            "last_progress_at",
            "owner_id",
            "acknowledged_at",
            "major",
        ),
        # Counts per owner (battle map, scorecards) read from the index alone: the
        # columns they test after the owner.
        Index(
            "ix_issue_owner_figures",
            "task_force_id",
            "owner_id",
            "status",
            "deadline",
            "closed_at",
            "created_at",
        ),
        # "My items": what I assigned that its owner has not yet acknowledged (few rows).
        Index(
            "ix_issue_unacknowledged_assigner",
            "assigned_by_id",
            sqlite_where=UNACKNOWLEDGED,
            postgresql_where=UNACKNOWLEDGED,
        ),
        # The problem list's default order, category then number (id), within a task force;
        # the counts per category by status read from the index alone.
        Index("ix_issue_tf_category", "task_force_id", "category_id", "id", "status"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None


def count_items():
    """SQL: how many items a query's rows hold, as ``count(*)``, to count among
    ``Issue`` rows alone (no join). Each row is one item, so it equals
    ``count(issue.id)``; but PostgreSQL must read the table for each item's id to count
    that, where ``count(*)`` lets it count from an index holding the columns the
    figures test (the battle map's counts per owner at 10,000 items: 6-10 -> 3 ms).
    SQLite counts from such an index either way (every index holds the row's id)."""
    return func.count()


class Subtask(TaskForceScoped, TimestampMixin, db.Model):
    __tablename__ = "subtask"
    __scope_index__ = False
    __table_args__ = (Index("ix_subtask_tf_issue", "task_force_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    deadline: Mapped[date | None]
    done_at: Mapped[datetime | None]
    sort_order: Mapped[int] = mapped_column(default=0)

    issue: Mapped[Issue] = relationship(back_populates="subtasks")
    owner: Mapped[User | None] = relationship()

    @property
    def done(self) -> bool:
        return self.done_at is not None


class Milestone(TaskForceScoped, TimestampMixin, db.Model):
    """A dated step of the landing schedule (落地排期)."""

    __tablename__ = "milestone"
    __scope_index__ = False
    __table_args__ = (
        # One item's open milestones (a row's light), answered from the index.
        Index("ix_milestone_tf_issue", "task_force_id", "issue_id", "done_on", "due_on"),
        # The items with an overdue milestone (the yellow light), listed from the index.
        Index("ix_milestone_tf_open", "task_force_id", "done_on", "due_on", "issue_id"),
        # A task force's milestones of a month, done or not (the calendar).
        Index("ix_milestone_tf_due", "task_force_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None]
    due_on: Mapped[date] = mapped_column(index=True)
    done_on: Mapped[date | None]

    issue: Mapped[Issue] = relationship(back_populates="milestones")

    @property
    def done(self) -> bool:
        return self.done_on is not None

    def overdue_on(self, day: date) -> bool:
        return self.done_on is None and self.due_on < day


class ProgressUpdate(TaskForceScoped, db.Model):
    """A dated note on an item, with an optional percentage: the item's history of work."""

    __tablename__ = "progress_update"
    __scope_index__ = False
    __table_args__ = (
        Index("ix_progress_update_tf_issue", "task_force_id", "issue_id"),
        # Each member's latest update (scorecards).
        Index("ix_progress_update_tf_author", "task_force_id", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)

    author: Mapped[User | None] = relationship()


class Attachment(StoredFile, TaskForceScoped, db.Model):
    """An evidence file of an item."""

    __tablename__ = "attachment"
    __scope_index__ = False
    __table_args__ = (Index("ix_attachment_tf_issue", "task_force_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)


# Names and titles are one line, however they are set.
one_line_attributes(Category.name, Issue.title, Subtask.title, Milestone.title)
