"""The problem list's sections of the monthly supervision bulletin (core.hooks.BULLETIN_SECTIONS).

The items closed in the month (on time, or late by so many days) and the items overdue at
the month's end (today, for the month under way), each with its owner and org unit. Each
reads the items' state at the cut-off through ``issues.asof.AsOf``, one query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import clock, hooks
from app.core.quarters import Month
from app.extensions import db
from app.issues.asof import AsOf
from app.issues.models import CLOSED, OPEN_STATUSES, Issue
from app.people.models import OrgUnit, User


@dataclass(frozen=True)
class ItemLine:
    code: str
    title: str
    owner: str
    org_unit: str
    deadline: date | None
    major: bool
    closed_on: date | None = None
    late_days: int = 0  # closed after the deadline by; or overdue by


def as_of(month: Month) -> AsOf:
    return AsOf.for_day(month.last_day, month.first_day)


def _items(task_force_id: int, at: AsOf, where):
    status = at.status
    closed_at = at.closed_at
    return db.session.execute(
        select(
            Issue.code,
            Issue.title,
            User.display_name,
            OrgUnit.name,
            Issue.deadline,
            Issue.major,
            closed_at,
        )
        .outerjoin(User, User.id == Issue.owner_id)
        .outerjoin(OrgUnit, OrgUnit.id == Issue.org_unit_id)
        .where(Issue.task_force_id == task_force_id, at.existed, *where(status, closed_at))
    ).all()


def closed_section(task_force_id: int, month: Month) -> dict:
    at = as_of(month)
    rows = _items(
        task_force_id,
        at,
        lambda status, closed_at: (
            status == CLOSED,
            closed_at >= at.start,
            closed_at < at.cutoff,
        ),
    )
    lines = []
    for code, title, owner, unit, deadline, major, closed_at in rows:
        closed_on = clock.local_date(closed_at)
        late = max((closed_on - deadline).days, 0) if deadline else 0
        lines.append(
            ItemLine(code, title, owner or "—", unit or "—", deadline, major, closed_on, late)
        )
    lines.sort(key=lambda line: (line.closed_on, line.code))
    on_time = sum(1 for line in lines if not line.late_days)
    return {
        "lines": lines,
        "on_time": on_time,
        "figures": [(_("Items closed this month (on time)"), f"{len(lines)} ({on_time})")],
    }


def overdue_section(task_force_id: int, month: Month) -> dict:
    at = as_of(month)
    rows = _items(
        task_force_id,
        at,
        lambda status, _closed_at: (status.in_(OPEN_STATUSES), Issue.deadline < at.day),
    )
    lines = [
        ItemLine(
            code, title, owner or "—", unit or "—", deadline, major, None, (at.day - deadline).days
        )
        for code, title, owner, unit, deadline, major, _closed in rows
    ]
    # The furthest behind first; a major item before others as far behind.
    lines.sort(key=lambda line: (-line.late_days, not line.major, line.code))
    return {
        "lines": lines,
        "day": at.day,
        "figures": [(_("Items overdue at the month's end"), len(lines))],
    }


SECTIONS = (
    hooks.BulletinSection(
        "closed", 10, _l("Items closed this month"), "reports/_bulletin_closed.html", closed_section
    ),
    hooks.BulletinSection(
        "overdue", 20, _l("Overdue items"), "reports/_bulletin_overdue.html", overdue_section
    ),
)
