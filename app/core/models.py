"""Base mixins and the tables every feature writes to: the audit log, the outbox and the
journal of data versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from app.core import clock
from app.extensions import db


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class VersionMixin:
    """Optimistic locking: every UPDATE checks and bumps ``version``.

    Forms carry the version they were opened with; services compare it before saving
    (``core.service.check_version``) so a stale edit is refused with a message rather
    than overwriting someone else's work.
    """

    version: Mapped[int] = mapped_column(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class AuditEvent(db.Model):
    """Who changed what, when, from what to what. Append-only."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_force.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The personal access token a change came through (the REST API, ``app/api``); None
    # for the browser, a command or a job. No foreign key: the ground floor names no
    # table of the floors above.
    api_token_id: Mapped[int | None] = mapped_column(index=True)

    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        # the activity stream: one task force's events, newest first
        Index("ix_audit_event_task_force_at", "task_force_id", "at", "id"),
    )


class Notification(db.Model):
    """One message to one person: the outbox that every feature writes to.

    Features never call e-mail or webhooks; they add a row here. The in-app centre reads
    these rows; the notify feature carries them over the other channels.
    ``unique_key`` makes a message idempotent: writing the same key twice keeps one row.
    """

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    task_force_id: Mapped[int | None] = mapped_column(ForeignKey("task_force.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    link: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    unique_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_notification_unread", "recipient_id", "read_at"),)


class IdempotencyKey(db.Model):
    """A form that was saved: its key (a hidden field, new on every page shown), who sent
    it, what it carried and where the answer led. The same form sent again (a double
    click, a retry) finds its row and leads there again, creating nothing; rows go after
    a day (``app.core.idempotency``)."""

    __tablename__ = "idempotency_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    key: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the action and the input
    location: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)

    __table_args__ = (
        UniqueConstraint("user_id", "key", "digest", name="uq_idempotency_key_user_id"),
    )


class DataChange(db.Model):
    """A step of a task force's data version (``core.freshness``): one row for the
    version itself, and one for each item (``issue``) the commit changed. ``any_item``
    says the commit changed items it cannot name (a statement over many rows): whatever
    was counted from the items before this version must be counted again. What is kept
    as items change (``issues.tally``) moves from one version to the next by the items
    named here; a version with no row (a restore, a write past the application) is
    counted afresh. Rows go after 1,024 later versions of their task force."""

    __tablename__ = "data_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys: the journal outlives nothing it names, and is read by number.
    task_force_id: Mapped[int]
    version: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int | None]
    any_item: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_data_change_task_force_version", "task_force_id", "version"),)


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("audit events cannot be changed or deleted")


def one_line_attributes(*attributes) -> None:
    """Every value assigned to these attributes (a name, a title) is made one line by
    ``core.forms.one_line``, whoever assigns it: a form, a service, an import, the CLI.

    A newline in a series name used to reach the calendar feed and break it.
    """
    from app.core.forms import one_line

    def clean(target, value, oldvalue, initiator):
        return one_line(value)

    for attribute in attributes:
        event.listen(attribute, "set", clean, retval=True)
