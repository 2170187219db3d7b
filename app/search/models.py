"""The search index: one row per thing one can find, with its tokens.

``search_entry`` is a plain table (not scoped to one task force: a search crosses the
reader's task forces, and its query names them itself). The engines' indexes over
``tokens`` are made by the migration ``0024``: on SQLite an FTS5 table ``search_fts``
with the entry's id as its rowid, kept by triggers; on PostgreSQL a stored
``tsv tsvector`` column (``to_tsvector('simple', tokens)``) with a GIN index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SearchEntry(db.Model):
    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", name="uq_search_entry_kind_object"),
        Index("ix_search_entry_task_force_kind", "task_force_id", "kind"),
        Index("ix_search_entry_parent", "parent_kind", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int]
    task_force_id: Mapped[int]
    view: Mapped[str] = mapped_column(String(40))  # the action that reads it
    person_id: Mapped[int | None]  # its owner, author or submitter
    at: Mapped[datetime | None]
    parent_kind: Mapped[str] = mapped_column(String(30), default="")
    parent_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    tokens: Mapped[str] = mapped_column(Text, default="")


# What the engines make for themselves, which only the migration describes: the FTS5
# table and its shadow tables on SQLite, the generated ``tsvector`` column and its GIN
# index on PostgreSQL. Comparing the models with the database leaves them out
# (``migrations/env.py``, ``tests/core/test_migrations.py``).
ENGINE_OWNED = frozenset(
    {
        "search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
        "search_fts_config", "search_fts_content", "search_entry.tsv", "ix_search_entry_tsv",
    }
)  # fmt: skip
db.metadata.info.setdefault("engine_owned", set()).update(ENGINE_OWNED)
