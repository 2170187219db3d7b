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
