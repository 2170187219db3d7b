"""What can be found: each kind of row says how it reads as a search entry.

A kind names its model, the label of its group on the results page, how one of its rows
becomes a document (its title, text, person, time, the action that reads it, and the
object it belongs to), and where a result links. ``kinds.py`` fills the registry for
every feature; the index (``index.py``) and the search (``service.py``) read only this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Document:
    """One row as the index keeps it."""

    title: str
    body: str
    task_force_id: int
    view: str  # the permission that reads it, on its task force
    person_id: int | None = None  # its owner, author or submitter
    at: datetime | None = None  # when it was written (the date filter)
    parent: tuple[str, int | None] = ("", None)  # the object it belongs to


@dataclass(frozen=True)
class Kind:
    name: str  # the entry's kind: the model's table name
    label: Any  # the group's heading (a lazy string)
    model: type
    document: Callable[[Any], Document | None]  # None: nothing to find (a deleted comment)
    link: Callable[[Any], str]  # the page of a result (an entry row), a path in the app
    order: int = 50  # of the groups when two rank alike, and of the kind filter
    options: tuple = field(default=())  # loader options for reindexing


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register (or, on a second ``init_app``, keep) a kind."""
    KINDS.setdefault(kind.name, kind)
    return KINDS[kind.name]


def kind_of(obj: Any) -> Kind | None:
    return KINDS.get(getattr(obj, "__tablename__", ""))


def joined(*parts: str | None) -> str:
    """Texts as one body, empty ones left out."""
    return "\n".join(part for part in parts if part)
