"""A thread's comments, their files and mentions, and who follows what.

A thread belongs to one object of a task force (an item, an escalation, a pilot, a
meeting), named by its kind and id (``target_kind``, ``target_id``), not by a foreign
key: the kinds are registered by the features that own them (``discussion.kinds``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.core.files import StoredFile
from app.core.models import VersionMixin
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.people.models import User

comment_mention = Table(
    "comment_mention",
    db.metadata,
    Column("comment_id", ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)


class Comment(TaskForceScoped, VersionMixin, db.Model):
    """One comment of a thread. A deleted comment keeps its row and its place, not its text."""

    __tablename__ = "comment"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    # The comment this one answers (quote-reply); it may be deleted since.
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    author: Mapped[User] = relationship()
    quote: Mapped[Comment | None] = relationship(remote_side=[id])
    files: Mapped[list[CommentFile]] = relationship(order_by="CommentFile.id")
    mentioned: Mapped[list[User]] = relationship(secondary=comment_mention)

    __table_args__ = (
        Index("ix_comment_tf_target", "task_force_id", "target_kind", "target_id", "id"),
        # The rate limit: a person's comments of the last minute.
        Index("ix_comment_author_created", "author_id", "created_at"),
    )

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


class CommentFile(StoredFile, TaskForceScoped, db.Model):
    """A file attached to a comment, checked as every evidence file (``core.files``)."""

    __tablename__ = "comment_file"
    __scope_index__ = False
    __table_args__ = (Index("ix_comment_file_tf_comment", "task_force_id", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)


class Follow(TaskForceScoped, db.Model):
    """A person's choice about one object: following it, or having stopped (which sticks:
    owning it, collaborating on it or commenting on it does not follow it again; being
    mentioned does)."""

    __tablename__ = "follow"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    following: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    __table_args__ = (
        UniqueConstraint("target_kind", "target_id", "user_id", name="uq_follow_target_user"),
        Index("ix_follow_tf_target", "task_force_id", "target_kind", "target_id"),
    )
