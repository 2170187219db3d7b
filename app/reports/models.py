"""Quarterly review packs and their narratives.

A document the worker builds (a review pack here, a bulletin in ``bulletin_models.py``)
is one row that is both the job's state and, once done, the snapshot
(``BuiltDocument``). The PDF and the Word file are kept in the database (``content``,
``docx``, loaded only when downloaded): production runs several gunicorn workers on
several hosts, and a blob needs no shared folder, is covered by the database backup and
cannot drift from its checksum row. A finished one is immutable: its files, checksum and
size can never change.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from app.core import clock
from app.core.models import VersionMixin
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.people.models import User

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PACK_STATES = (QUEUED, RUNNING, DONE, FAILED)
# At most one pack per task force and quarter is queued or being built at a time.
IN_PROGRESS = text("status IN ('queued', 'running')")


class BuiltDocument:
    """The columns of a document the worker builds, from the request to the snapshot.

    ``PERIOD`` names the column of the period it covers ("quarter", "month"); ``number``
    is its version within the period; ``built_by`` is the job queue's claim building it
    (``core.jobs``), or the scheduler's own token: only that claim writes the outcome,
    and another claim of the same job takes over a document whose worker died. While it
    runs, ``heartbeat_at`` is refreshed, so that one whose worker died stops looking busy.
    ``SEALED`` names the further columns a finished one keeps; ``NOUN`` starts its audit
    actions' names ("pack_requested", "bulletin_generated").
    """

    PERIOD: ClassVar[str]
    NOUN: ClassVar[str]
    SEALED: ClassVar[tuple[str, ...]] = ()

    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: scheduler
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    built_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    sha256: Mapped[str | None] = mapped_column(String(64))  # of the PDF
    size: Mapped[int | None]
    pages: Mapped[int | None]
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # the PDF
    # The same document as a Word file, made from the same HTML (``core.pdf.html_to_word``);
    # its size is None for packs made before Word files were.
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    docx_size: Mapped[int | None]

    @declared_attr
    def requested_by(cls) -> Mapped[User | None]:
        return relationship(User)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


class ReviewPack(BuiltDocument, TaskForceScoped, db.Model):
    __tablename__ = "review_pack"
    PERIOD, NOUN = "quarter", "pack"
    SEALED = ("narrative",)

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026Q3"
    # The approved narrative the pack printed (``reports.narrative.approved_narrative``:
    # sections' titles and Markdown, approver, time, instruction, draft version), or None
    # when it had none; kept so that every archived version keeps its text.
    narrative: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (
        UniqueConstraint("task_force_id", "quarter", "number", name="uq_review_pack_version"),
        Index(
            "uq_review_pack_in_progress",
            "task_force_id",
            "quarter",
            unique=True,
            sqlite_where=IN_PROGRESS,
            postgresql_where=IN_PROGRESS,
        ),
    )


DRAFT, APPROVED = "draft", "approved"
DRAFT_STATES = (DRAFT, APPROVED)


class ReviewDraft(TaskForceScoped, VersionMixin, db.Model):
    """The narrative (汇报正文) of one quarter's review, drafted by the executive leader
    and approved (审定) by the leader; a pack prints the approved text."""

    __tablename__ = "review_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026Q3"
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]
    # The leader's instruction (批示 / 审定意见) written when approving.
    instruction: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    sections: Mapped[list[ReviewDraftSection]] = relationship(
        back_populates="draft", order_by="ReviewDraftSection.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("task_force_id", "quarter", name="uq_review_draft_quarter"),)

    @property
    def approved(self) -> bool:
        return self.status == APPROVED


class ReviewDraftSection(TaskForceScoped, db.Model):
    """One section of a narrative: its key (``narrative.SECTION_KEYS``) and Markdown body."""

    __tablename__ = "review_draft_section"
    __scope_index__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("review_draft.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

    draft: Mapped[ReviewDraft] = relationship(back_populates="sections")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    __table_args__ = (
        UniqueConstraint("draft_id", "key", name="uq_review_draft_section_key"),
        Index("ix_review_draft_section_tf_draft", "task_force_id", "draft_id"),
    )


class SnapshotImmutable(RuntimeError):
    """A finished pack or bulletin was changed or deleted."""


_SEALED = (
    "content",
    "docx",
    "docx_size",
    "sha256",
    "size",
    "pages",
    "number",
    "task_force_id",
    "status",
)


@event.listens_for(Session, "before_flush")
def _finished_documents_are_sealed(session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, BuiltDocument) and obj.status == DONE:
            raise SnapshotImmutable(f"a finished {obj.__tablename__} cannot be deleted")
    for obj in session.dirty:
        if not isinstance(obj, BuiltDocument):
            continue
        state = db.inspect(obj)
        was_done = state.attrs.status.history.deleted == [DONE] or (
            not state.attrs.status.history.has_changes() and obj.status == DONE
        )
        sealed = _SEALED + (obj.PERIOD,) + obj.SEALED
        if was_done and any(state.attrs[name].history.has_changes() for name in sealed):
            raise SnapshotImmutable(f"a finished {obj.__tablename__} cannot be changed")
