"""Writing audit events. Services call these inside their transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context

from app.core.models import AuditEvent
from app.core.scope import TaskForceScoped
from app.extensions import db


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "id") and hasattr(value, "__tablename__"):
        return value.id
    return value


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj`` and return ``{field: [old, new]}`` for what really changed."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            setattr(obj, field, new)
            new = getattr(obj, field)  # as the model keeps it (a name is made one line)
            if old != new:
                changes[field] = [_plain(old), _plain(new)]
    return changes


def through_token(token_id: int) -> None:
    """Every audit event of this request names the API token it came through."""
    g.audit_api_token_id = token_id


def _token_of_request() -> int | None:
    return g.get("audit_api_token_id") if has_request_context() else None


def record(
    actor: Any,
    action: str,
    entity: Any,
    changes: dict[str, list[Any]] | None = None,
    summary: str = "",
    task_force_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    if task_force_id is None and isinstance(entity, TaskForceScoped):
        task_force_id = entity.task_force_id
    if entity.id is None:
        db.session.flush([entity])
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        task_force_id=task_force_id,
        action=action,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        summary=summary[:300],
        changes=changes or {},
        api_token_id=_token_of_request(),
    )
    db.session.add(event)
    return event
