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
from app.reports import bulletin, narrative, service
from app.reports.bulletin_models import Bulletin
from app.reports.models import ReviewDraft, ReviewPack


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


# What the executive leader adds to the pre-filled text, section by section.
OPENINGS = {
    "results": "本季度小组坚持问题导向、清单管理，非存AUM增长动能逐步恢复。",
    "problems": "部分问题推进仍慢于计划，跨部门事项协调成本较高。",
    "practices": "试点先行、复盘推广的做法已经成形，长春分行私行试点的经验值得各分行借鉴。",
    "mechanisms": "“四盯”工作机制运转总体顺畅，“短平快”决策效率有所提升。",
    "plan": "下季度聚焦重点问题销号和试点经验推广，确保年度目标达成。",
    "decisions": "",
    "assessment": "各机构考核结论经组长审定后报人力资源部。",
}


def write_narratives(task_force: TaskForce, executive: User, leader: User, today: date) -> None:
    """The last finished quarter's narrative, approved; the current quarter's, a draft.
    A quarter that has a narrative already is left alone."""
    with task_force_scope(task_force.id):
        have = set(
            db.session.scalars(
                select(ReviewDraft.quarter).where(ReviewDraft.task_force_id == task_force.id)
            )
        )
        last, current = Quarter.of(today).previous(), Quarter.of(today)
        if str(last) not in have and last.last_day >= task_force.starts_on:
            draft = narrative.get_or_start_draft(executive, task_force.id, last)
            texts = {
                key: "\n\n".join(part for part in (OPENINGS[key], body) if part)
                for key, body in narrative.bodies(draft).items()
            }
            draft, _withdrawn = narrative.save_draft(executive, draft.id, draft.version, texts)
            narrative.approve(
                leader, draft.id, draft.version, "同意。请各成员单位对照下一步工作计划抓好落实。"
            )
        if str(current) not in have:
            narrative.get_or_start_draft(executive, task_force.id, current)
