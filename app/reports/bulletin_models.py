"""Monthly supervision bulletins (督办通报): a document the worker builds, as review packs
are (``reports/models.py``, ``BuiltDocument``): one row is the job's state and, once
done, the sealed snapshot with its PDF and Word file."""

from __future__ import annotations

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.scope import TaskForceScoped
from app.extensions import db
from app.reports.models import BuiltDocument

# At most one bulletin per task force and month is queued or being built at a time.
IN_PROGRESS = text("status IN ('queued', 'running')")


class Bulletin(BuiltDocument, TaskForceScoped, db.Model):
    __tablename__ = "bulletin"
    PERIOD, NOUN = "month", "bulletin"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "2026-11"

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
