"""Keeping the index current, in the same transaction as the write.

After every flush, the rows of the registered kinds that the flush inserted, changed or
deleted are written again into ``search_entry`` on the flush's own connection: a write
that is rolled back takes its entries with it, and one that commits finds them there.
Deleting an object also drops the entries that belong to it (an item's progress notes,
milestones and comments), which a database cascade may have removed unseen.

``reindex`` builds the whole index again (``flask search reindex``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, event, insert, or_, select, tuple_
from sqlalchemy.orm import Session

from app.core.scope import unscoped
from app.extensions import db
from app.search.models import SearchEntry
from app.search.registry import KINDS, Document, kind_of
from app.search.tokens import tokenize

TITLE_LENGTH = 300
_table = SearchEntry.__table__


def row_of(kind: str, object_id: int, doc: Document) -> dict[str, Any]:
    title = (doc.title or "")[:TITLE_LENGTH]
    body = doc.body or ""
    parent_kind, parent_id = doc.parent
    return {
        "kind": kind,
        "object_id": object_id,
        "task_force_id": doc.task_force_id,
        "view": doc.view,
        "person_id": doc.person_id,
        "at": doc.at,
        "parent_kind": parent_kind or "",
        "parent_id": parent_id,
        "title": title,
        "body": body,
        "tokens": tokenize(f"{title}\n{body}"),
    }


def _after_flush(session: Session, _context) -> None:
    changed: dict[tuple[str, int], Any] = {}
    gone: set[tuple[str, int]] = set()
    for obj in list(session.new) + list(session.dirty):
        kind = kind_of(obj)
        if kind is not None and obj.id is not None:
            changed[(kind.name, obj.id)] = obj
    for obj in session.deleted:
        kind = kind_of(obj)
        if kind is not None and obj.id is not None:
            gone.add((kind.name, obj.id))
            changed.pop((kind.name, obj.id), None)
    if changed or gone:
        write(session.connection(), changed, gone)


def write(connection, changed: dict[tuple[str, int], Any], gone: set[tuple[str, int]]):
    """Replace the entries of ``changed`` objects, drop those of ``gone`` ones and of
    what belonged to them: two or three statements whatever the number."""
    rows = []
    for (name, object_id), obj in changed.items():
        doc = KINDS[name].document(obj)
        if doc is not None:
            rows.append(row_of(name, object_id, doc))
    keys = list(changed) + list(gone)
    for chunk in _chunks(keys, 400):
        connection.execute(
            delete(_table).where(tuple_(_table.c.kind, _table.c.object_id).in_(chunk))
        )
    for chunk in _chunks(sorted(gone), 400):
        belongs = [and_(_table.c.parent_kind == k, _table.c.parent_id == i) for k, i in chunk]
        connection.execute(delete(_table).where(or_(*belongs)))
    if rows:
        connection.execute(insert(_table), rows)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def listen() -> None:
    """Keep the index current from now on (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def reindex(batch: int = 1000) -> dict[str, int]:
    """Build the whole index again: the number of entries of each kind."""
    connection = db.session.connection()
    connection.execute(delete(_table))
    counts: dict[str, int] = {}
    with unscoped():
        for name, kind in KINDS.items():
            counts[name] = 0
            statement = select(kind.model).options(*kind.options).execution_options(yield_per=batch)
            rows = []
            for obj in db.session.scalars(statement):
                doc = kind.document(obj)
                if doc is not None:
                    rows.append(row_of(name, obj.id, doc))
                if len(rows) >= batch:
                    connection.execute(insert(_table), rows)
                    counts[name] += len(rows)
                    rows = []
            if rows:
                connection.execute(insert(_table), rows)
                counts[name] += len(rows)
            db.session.expunge_all()
    return counts
