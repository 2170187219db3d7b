"""Monthly supervision bulletins (督办通报): one row is both the job's state and, once done,
the snapshot (the PDF and, once a converter fills it, the Word file), as review packs are
(``reports/models.py``). A finished bulletin is immutable but for its Word file, which may
be added once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from app.core import clock
from app.core.scope import TaskForceScoped
from app.extensions import db
from app.people.models import User
from app.reports.models import DONE, QUEUED, SnapshotImmutable

# At most one bulletin per task force and month is queued or being built at a time.
IN_PROGRESS = text("status IN ('queued', 'running')")


class Bulletin(TaskForceScoped, db.Model):
    __tablename__ = "bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"
    number: Mapped[int]  # the issue number (第N期) of the month: 1, 2, ...
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: scheduler
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The job claim building it: a claim taken over from a dead worker rebuilds it, and
    # only the claim named here writes the outcome.
    built_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    pages: Mapped[int | None]
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    docx: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))

    requested_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("task_force_id", "month", "number", name="uq_bulletin_version"),
        Index(
            "uq_bulletin_in_progress",
            "task_force_id",
            "month",
            unique=True,
            sqlite_where=IN_PROGRESS,
            postgresql_where=IN_PROGRESS,
        ),
    )

    @property
    def finished(self) -> bool:
        return self.status in (DONE, "failed")


_SEALED = ("content", "sha256", "size", "pages", "month", "number", "task_force_id", "status")


@event.listens_for(Session, "before_flush")
def _finished_bulletins_are_sealed(session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, Bulletin) and obj.status == DONE:
            raise SnapshotImmutable("a finished bulletin cannot be deleted")
    for obj in session.dirty:
        if not isinstance(obj, Bulletin):
            continue
        state = db.inspect(obj)
        was_done = state.attrs.status.history.deleted == [DONE] or (
            not state.attrs.status.history.has_changes() and obj.status == DONE
        )
        if was_done and any(state.attrs[name].history.has_changes() for name in _SEALED):
            raise SnapshotImmutable("a finished bulletin cannot be changed")
        docx = state.attrs.docx.history
        if was_done and docx.has_changes() and docx.deleted not in ([], [None], ()):
            raise SnapshotImmutable("a bulletin's Word file cannot be replaced")
