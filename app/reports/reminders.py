"""The reminder that a quarter's review pack is ready (to the leaders, once per pack).
``init_app`` registers it (``core/reminders.py``); ``notify`` runs it."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from app.core.i18n import gettext as _
from app.core.permissions import EXEC_LEADER, LEADER
from app.core.reminders import Rule, RuleContext
from app.people.models import Membership, TaskForce
from app.reports.models import DONE, ReviewPack

# --- review pack ready (the scheduler made a quarter's pack) ------------------------------

PACK_READY_DAYS = 7  # a pack finished longer ago than this is old news


def _pack_ready(ctx: RuleContext) -> Select:

    packs = (
        select(
            ReviewPack.task_force_id,
            ReviewPack.id.label("pack_id"),
            ReviewPack.quarter.label("quarter"),
            ReviewPack.number.label("number"),
        )
        .where(
            ReviewPack.status == DONE,
            ReviewPack.requested_by_id.is_(None),
            ReviewPack.finished_at >= ctx.now - timedelta(days=PACK_READY_DAYS),
        )
        .subquery()
    )
    return (
        select(
            Membership.user_id.label("recipient_id"),
            Membership.task_force_id,
            packs.c.pack_id.label("subject_id"),
            TaskForce.name.label("task_force"),
            packs.c.quarter,
            packs.c.number,
        )
        .join(TaskForce, TaskForce.id == Membership.task_force_id)
        .join(packs, packs.c.task_force_id == Membership.task_force_id)
        .where(
            Membership.role.in_((LEADER, EXEC_LEADER)),
            Membership.active_on(ctx.today),
            TaskForce.archived_at.is_(None),
        )
    )


def _pack_ready_text(row, ctx: RuleContext, extra) -> str:
    year, number = row.quarter.split("Q")
    return _(
        "%(task_force)s: the quarterly review pack of Q%(n)s %(year)s is ready (v%(v)d).",
        task_force=row.task_force,
        n=number,
        year=year,
        v=row.number,
    )


REVIEW_PACK_READY = Rule(
    name="review_pack_ready",
    label=_l("Quarterly review pack ready (leaders)"),
    subject_type="review_pack",
    targets=_pack_ready,
    key=lambda row, ctx: f"review_pack_ready:{row.subject_id}:{row.recipient_id}",
    message=_pack_ready_text,
    link=lambda row: "/reports/",
    order=110,
)
