"""Saved views (视图) of the problem list and the board: a named filter and sort."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import TimestampMixin, VersionMixin, one_line_attributes
from app.core.scope import TaskForceScoped
from app.extensions import db

NAME_MAX = 40
# The namespace of a shared view's name: the task force's (a personal view's namespace is
# its owner's id, never 0).
SHARED_NAMESPACE = 0


class SavedView(TaskForceScoped, TimestampMixin, VersionMixin, db.Model):
    """A named query string of the list's filter form, of one person or of the task force.

    ``namespace`` is the owner's id for a personal view and ``SHARED_NAMESPACE`` for a
    shared one, so that one unique key keeps names unique per owner and per task force
    on SQLite and PostgreSQL alike.
    """

    __tablename__ = "saved_view"
    __table_args__ = (
        UniqueConstraint("task_force_id", "namespace", "name", name="uq_saved_view_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    shared: Mapped[bool] = mapped_column(default=False)
    namespace: Mapped[int] = mapped_column()
    query: Mapped[str] = mapped_column(Text, default="")


class SavedViewDefault(TaskForceScoped, db.Model):
    """The view a person's list opens with in one task force (at most one)."""

    __tablename__ = "saved_view_default"
    __scope_index__ = False
    __table_args__ = (
        UniqueConstraint("task_force_id", "user_id", name="uq_saved_view_default_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    view_id: Mapped[int] = mapped_column(ForeignKey("saved_view.id"), index=True)


one_line_attributes(SavedView.name)
