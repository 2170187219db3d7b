"""Following (关注): who is told when something happens to an object.

A person follows an object when they chose to, or when they take part in it (its
owner, a collaborator, the raiser of an escalation: ``ThreadKind.participants``), or
when they commented on it or were mentioned in its thread. Stopping is a row with
``following`` false, and it sticks: owning the object or commenting again does not
follow it again; a new mention does. Only people on the task force today are told.

``tell_followers`` is the one way any feature tells an object's followers of an event
(a status change, a comment, a decision, a 批示): once per person per event, never the
person who acted, never someone the caller told already.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize
from app.discussion.kinds import ThreadKind, kind_of
from app.discussion.models import Follow
from app.extensions import db
from app.people.models import User
from app.people.roster import active_member_ids


def _kind(target: Any) -> ThreadKind:
    kind = kind_of(target)
    if kind is None:
        raise ValueError(f"no thread kind is registered for {type(target).__name__}")
    return kind


def _rows(kind: str, target_id: int) -> dict[int, Follow]:
    return {
        row.user_id: row
        for row in db.session.scalars(
            select(Follow).where(Follow.target_kind == kind, Follow.target_id == target_id)
        )
    }


def followers(target: Any) -> set[int]:
    """The ids of the people who follow ``target`` and are on its task force today."""
    kind = _kind(target)
    rows = _rows(kind.name, target.id)
    chosen = {user_id for user_id, row in rows.items() if row.following}
    stopped = {user_id for user_id, row in rows.items() if not row.following}
    every = (kind.participants(target) | chosen) - stopped
    return every & active_member_ids(target.task_force_id)


def is_following(user_id: int, target: Any) -> bool:
    kind = _kind(target)
    row = db.session.scalar(
        select(Follow).where(
            Follow.target_kind == kind.name,
            Follow.target_id == target.id,
            Follow.user_id == user_id,
        )
    )
    if row is not None:
        return row.following
    return user_id in kind.participants(target)


def set_following(actor: User, target: Any, following: bool) -> None:
    """Follow ``target``, or stop following it (anyone who may read it)."""
    kind = _kind(target)
    authorize(actor, "discussion.follow", target.task_force_id)
    authorize(actor, kind.read_action, target)
    if is_following(actor.id, target) == following:
        raise ValidationFailed(
            _("You follow this already.") if following else _("You do not follow this.")
        )
    _set(kind, target, actor.id, following, force=True)
    audit.record(
        actor,
        "followed" if following else "unfollowed",
        target,
        summary=kind.title(target),
    )
    db.session.flush()


def _set(kind: ThreadKind, target: Any, user_id: int, following: bool, force: bool) -> None:
    """Record a choice; without ``force`` (commenting), a stop already made is kept."""
    row = db.session.scalar(
        select(Follow).where(
            Follow.target_kind == kind.name,
            Follow.target_id == target.id,
            Follow.user_id == user_id,
        )
    )
    if row is None:
        db.session.add(
            Follow(
                task_force_id=target.task_force_id,
                target_kind=kind.name,
                target_id=target.id,
                user_id=user_id,
                following=following,
            )
        )
    elif force and row.following != following:
        row.following = following
        row.changed_at = clock.now()


def follow_automatically(target: Any, user_ids: Collection[int], mentioned: bool) -> None:
    """Commenters follow what they commented on unless they stopped; mentioned people
    follow it again even if they had."""
    kind = _kind(target)
    for user_id in set(user_ids):
        _set(kind, target, user_id, True, force=mentioned)


def tell_followers(
    target: Any,
    kind: str,
    actor: User | None,
    message: Callable[[], str] | str,
    url: str | None = None,
    key: str | None = None,
    told: Collection[int] = (),
) -> set[int]:
    """Tell ``target``'s followers of one event through the outbox.

    ``kind`` is the message's kind ("status", "comment", "decision", "instruction"…);
    ``message`` returns the text (it is called in each recipient's language; a plain
    string is sent as it is); ``url`` defaults to the object's page; ``key`` names the
    event, so a retry tells nobody twice (default: the kind, the object and the
    instant). The actor and the people in ``told`` (told of this event already, by
    another message) are left out. Returns the ids told.
    """
    thread_kind = _kind(target)
    recipients = followers(target) - set(told) - {getattr(actor, "id", None)}
    if not recipients:
        return set()
    key = key or f"{kind}:{thread_kind.name}:{target.id}:{clock.now().isoformat()}"
    link = url or thread_kind.url(target)
    text = message if callable(message) else (lambda: message)
    for user in db.session.scalars(select(User).where(User.id.in_(recipients))):
        tell(user, kind, text, f"{key}:{user.id}", link, target, target.task_force_id)
    return recipients
