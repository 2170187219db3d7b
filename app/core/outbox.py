"""The outbox: how any feature tells a person something.

``notify`` adds a ``Notification`` row in the caller's transaction. The same
``unique_key`` written twice keeps one message, so a retried job or a second
scheduler never tells anyone twice.
"""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import force_locale
from sqlalchemy import column, func, select, table, update

from app.core import clock
from app.core.models import Notification
from app.core.scope import TaskForceScoped
from app.extensions import db

# The task force's name beside each message; the model lives a floor up, in ``people``.
_task_force = table("task_force", column("id"), column("name"))


def notify(
    recipient_id: int,
    kind: str,
    text: str,
    unique_key: str,
    link: str | None = None,
    subject: object | None = None,
    task_force_id: int | None = None,
) -> Notification | None:
    """Queue a message; returns ``None`` when one with this key already exists.

    A message about a task force's object belongs to that task force (its link opens
    there, the notification centre says which), whether or not the caller said so.
    """
    if task_force_id is None and isinstance(subject, TaskForceScoped):
        task_force_id = subject.task_force_id
    exists = db.session.scalar(select(Notification.id).where(Notification.unique_key == unique_key))
    if exists is not None:
        return None
    message = Notification(
        recipient_id=recipient_id,
        kind=kind,
        text=text,
        unique_key=unique_key[:200],
        link=link,
        subject_type=getattr(subject, "__tablename__", None),
        subject_id=getattr(subject, "id", None),
        task_force_id=task_force_id,
    )
    db.session.add(message)
    _forget_count()
    return message


def tell(
    recipient,
    kind: str,
    message,
    unique_key: str,
    link: str | None = None,
    subject: object | None = None,
    task_force_id: int | None = None,
) -> Notification | None:
    """``notify`` with the text in the recipient's language.

    ``message`` is a function returning the translated text, so that it is rendered under
    the recipient's locale (and its literal stays visible to the extractor).
    """
    with force_locale(recipient.locale):
        text = message()
    return notify(recipient.id, kind, text, unique_key, link, subject, task_force_id)


def unread_count_of(recipient_id):
    """The number of unread messages of ``recipient_id`` (a value or a column), as SQL."""
    return (
        select(func.count(Notification.id))
        .where(Notification.recipient_id == recipient_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(unread_count_of(user_id)))


def _forget_count() -> None:
    # The menu's count was read with the reader; it is read again after a change.
    if has_request_context():
        g.pop("unread_notifications", None)


def count(user_id: int) -> int:
    """How many messages ``user_id`` has, read or not."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.recipient_id == user_id)
    )


def recent(user_id: int, limit: int = 50, offset: int = 0) -> list[tuple[Notification, str | None]]:
    """The newest messages of ``user_id``, each with the name of its task force (or None)."""
    return [
        (message, name)
        for message, name in db.session.execute(
            select(Notification, _task_force.c.name)
            .outerjoin(_task_force, _task_force.c.id == Notification.task_force_id)
            .where(Notification.recipient_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ]


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread message of ``user_id`` read; returns how many."""
    stmt = update(Notification).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = db.session.execute(stmt.values(read_at=clock.now()))
    _forget_count()
    return result.rowcount
