"""Reading the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from app.core import clock
from app.core.models import AuditEvent
from app.core.permissions import authorize
from app.extensions import db
from app.people.models import User


@dataclass
class AuditFilter:
    entity_type: str = ""
    actor_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None


def _audit_events_with(stmt, filters: AuditFilter):
    if filters.entity_type:
        stmt = stmt.where(AuditEvent.entity_type == filters.entity_type)
    if filters.actor_id:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.since:
        stmt = stmt.where(AuditEvent.at >= _local_day_start_utc(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.at < _local_day_start_utc(filters.until + timedelta(days=1)))
    return stmt


def audit_log(actor: User, filters: AuditFilter, limit: int = 100, offset: int = 0):
    """Audit events, newest first, with their actors, in one query."""
    authorize(actor, "audit.view")
    stmt = select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
    stmt = _audit_events_with(stmt, filters)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return db.session.execute(stmt).all()


def count_audit_events(actor: User, filters: AuditFilter) -> int:
    authorize(actor, "audit.view")
    return db.session.scalar(_audit_events_with(select(func.count(AuditEvent.id)), filters))


def audit_entity_types() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
        )
    )


def _local_day_start_utc(day: date):
    return clock.start_of_day(day)


def tokens_named(rows) -> dict[int, str]:
    """The API tokens the events of ``audit_log``'s rows came through, as their pages
    name them ("name (gjp_1a2b…)"). Read by table name: the API sits on the top floor."""
    ids = {row[0].api_token_id for row in rows if row[0].api_token_id}
    table = db.metadata.tables.get("api_token")
    if not ids or table is None:
        return {}
    rows = db.session.execute(
        select(table.c.id, table.c.name, table.c.prefix).where(table.c.id.in_(ids))
    )
    return {row.id: f"{row.name} ({row.prefix}…)" for row in rows}
