"""The demo's review packs of the AUM task force's past quarters and its bulletin of the
month before this one, for ``flask demo load``.

Building a pack takes WeasyPrint seconds, so the demo does not build them: it asks for
the packs of the three quarters before the current one (those the task force ran in)
as the leader would from the reports page, and puts their building on the job queue; the
worker that ``make run`` starts builds them in its first minutes. A quarter that has a
pack already, in any state, is left alone, so a second run queues nothing twice. The
caller's boundary commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.core.quarters import Month, Quarter
from app.core.scope import task_force_scope
from app.extensions import db
from app.people.models import TaskForce, User
from app.reports import bulletin, service
from app.reports.bulletin_models import Bulletin
from app.reports.models import ReviewPack


def past_quarters(start: date, today: date, count: int = 3) -> list[Quarter]:
    """Up to ``count`` quarters before today's that the task force ran in, oldest first."""
    quarters: list[Quarter] = []
    quarter = Quarter.of(today).previous()
    while len(quarters) < count and quarter.last_day >= start:
        quarters.append(quarter)
        quarter = quarter.previous()
    return quarters[::-1]


def queue_packs(task_force: TaskForce, leader: User, today: date) -> int:
    """Queue the past quarters' packs not asked for yet; returns how many were queued."""
    queued = 0
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(
                select(ReviewPack.quarter).where(ReviewPack.task_force_id == task_force.id)
            )
        )
        for quarter in past_quarters(task_force.starts_on, today):
            if str(quarter) in have:
                continue
            pack, new = service.request_pack(leader, task_force.id, quarter)
            if new:
                service.queue_build(pack)
                queued += 1
    return queued


def queue_bulletin(task_force: TaskForce, leader: User, today: date) -> bool:
    """Queue the supervision bulletin of last month, as the leader would from the reports
    page, unless that month has one already; True when one was queued."""
    month = Month.of(today).previous()
    if task_force.starts_on and month.last_day < task_force.starts_on:
        return False
    with task_force_scope(task_force.id):
        have = db.session.scalar(
            select(Bulletin.id).where(
                Bulletin.task_force_id == task_force.id, Bulletin.month == str(month)
            )
        )
        if have is not None:
            return False
        made, new = bulletin.request_bulletin(leader, task_force.id, month)
        if new:
            bulletin.queue_build(made)
        return new
