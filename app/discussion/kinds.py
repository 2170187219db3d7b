"""What a thread can be about. Each feature registers its kind in its ``init_app``
(``discussion.register_kind``), as it registers its hook providers: how to load one of
its objects, which action reads it, its address and title, and who takes part in it
(its owner and collaborators follow it without asking).

The discussion floor sits above ``issues`` and below the middle-floor features, so it
names none of them: an escalation, a pilot or a meeting is known here only through the
kind its feature registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.extensions import db


@dataclass(frozen=True)
class ThreadKind:
    name: str  # "issue", "escalation", "pilot", "meeting": the comment's target_kind
    model: type  # a TaskForceScoped model with an ``id``
    read_action: str  # who may read the object may read its thread
    url: Callable[[Any], str]  # the object's page, a path in the app
    title: Callable[[Any], str]  # how a message names it ("KH-001 现金管理类产品归集")
    # The people who follow it unless they stopped: owner, collaborators, raiser…
    participants: Callable[[Any], set[int]] = lambda obj: set()
    options: tuple = ()  # loader options for ``participants`` (selectinload, …)

    def load(self, target_id: int) -> Any | None:
        """The object in the reader's task force (the scope adds it), or None."""
        return db.session.scalar(
            select(self.model).options(*self.options).where(self.model.id == target_id)
        )


KINDS: dict[str, ThreadKind] = {}


def register_kind(kind: ThreadKind) -> ThreadKind:
    """Register (or, on a second ``init_app``, keep) a kind of thread."""
    KINDS.setdefault(kind.name, kind)
    return KINDS[kind.name]


def kind_named(name: str) -> ThreadKind | None:
    return KINDS.get(name)


def kind_of(obj: Any) -> ThreadKind | None:
    """The kind registered for ``obj``'s model."""
    for kind in KINDS.values():
        if isinstance(obj, kind.model):
            return kind
    return None
