"""The deadline extensions' section of the quarterly review pack (core.hooks.REVIEW_SECTIONS).

The requests asked for in the quarter and what became of them, and the items whose
deadline had been extended more than once by the quarter's end, with their original and
their extended deadline. Two queries, whatever the number of requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core import clock, hooks
from app.decisions.extensions import APPROVED, DECLINED, PENDING, DeadlineExtension
from app.extensions import db
from app.issues.models import Issue

ROWS = 15  # items listed; the figure counts them all


@dataclass
class DelayedItem:
    issue: Issue
    times: int
    original: date | None
    extended_to: date


def extensions_section(task_force_id: int, quarter) -> dict:
    start = clock.start_of_day(quarter.first_day)
    end = clock.start_of_day(date.fromordinal(quarter.last_day.toordinal() + 1))
    ext = DeadlineExtension
    count = func.count(ext.id)
    asked, approved, declined, pending = db.session.execute(
        select(
            count,
            count.filter(ext.status == APPROVED),
            count.filter(ext.status == DECLINED),
            count.filter(ext.status == PENDING),
        ).where(
            ext.task_force_id == task_force_id, ext.requested_at >= start, ext.requested_at < end
        )
    ).one()
    delayed = _delayed_items(task_force_id, end)
    return {
        "asked": asked,
        "approved": approved,
        "declined": declined,
        "pending": pending,
        "delayed": delayed[:ROWS],
        "delayed_total": len(delayed),
        "figures": [
            (_("Deadline extensions asked / granted"), f"{asked} / {approved}"),
            (_("Items extended more than once"), len(delayed)),
        ],
    }


def _delayed_items(task_force_id: int, end) -> list[DelayedItem]:
    """Items with two or more extensions approved before ``end``, most extended first."""
    ext = DeadlineExtension
    rows = db.session.scalars(
        select(ext)
        .where(
            ext.task_force_id == task_force_id,
            ext.status == APPROVED,
            ext.decided_at < end,
        )
        .options(joinedload(ext.issue).joinedload(Issue.owner))
        .order_by(ext.issue_id, ext.decided_at, ext.id)
    ).all()
    by_issue: dict[int, list[DeadlineExtension]] = {}
    for row in rows:
        by_issue.setdefault(row.issue_id, []).append(row)
    items = [
        DelayedItem(
            chain[0].issue, len(chain), chain[0].current_deadline, chain[-1].requested_deadline
        )
        for chain in by_issue.values()
        if len(chain) >= 2
    ]
    return sorted(items, key=lambda item: (-item.times, item.issue.code))


SECTION = hooks.ReviewSection(
    "extensions",
    62,
    _l("Deadline extensions"),
    "decisions/_review_extensions.html",
    extensions_section,
)
