"""The reminders about escalations: one pending past its due date (daily, to its
deciders), and the decisions due in Monday's digest; the leader's instruction not yet
answered (daily, to its owner). ``init_app`` registers them
(``core/reminders.py``); ``notify`` runs them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, or_, select

from app.core import clock
from app.core.i18n import gettext as _
from app.core.permissions import EXEC_LEADER, LEADER
from app.core.reminders import (
    DigestSection,
    Rule,
    RuleContext,
    as_datetime,
    question,
    week_of,
)
from app.decisions.instructions import Instruction
from app.decisions.models import LEVEL_EXEC, LEVEL_LEADER, PENDING, Escalation
from app.decisions.service import instructions
from app.extensions import db
from app.issues.models import OPEN_STATUSES, Issue
from app.people.models import Membership

# --- escalations pending past their due date -----------------------------------------------


def _escalation_overdue(ctx: RuleContext) -> Select:
    # The decider of the level: the executive leader(s) for an escalation to the
    # executive leader, the leader(s) for one to the leader. The leader may decide the
    # former too (``core.permissions.deciders_for``) but is not chased for it daily.
    return (
        select(
            Membership.user_id.label("recipient_id"),
            Escalation.task_force_id,
            Escalation.id.label("subject_id"),
            Issue.code,
            Issue.title,
            Escalation.question,
            Escalation.due_on.label("day"),
        )
        .join(Issue, Issue.id == Escalation.issue_id)
        .join(Membership, Membership.task_force_id == Escalation.task_force_id)
        .where(
            Escalation.status == PENDING,
            Escalation.due_on < ctx.today,
            or_(
                and_(Escalation.level == LEVEL_EXEC, Membership.role == EXEC_LEADER),
                and_(Escalation.level == LEVEL_LEADER, Membership.role == LEADER),
            ),
            Membership.active_on(ctx.today),
        )
    )


def _escalation_overdue_text(row, ctx: RuleContext, extra) -> str:
    return _(
        "An escalation on %(code)s %(title)s awaits your decision, due on %(day)s "
        "(%(n)d days overdue): %(question)s",
        code=row.code,
        title=row.title,
        day=row.day.isoformat(),
        n=(ctx.today - row.day).days,
        question=question(row.question),
    )


ESCALATION_OVERDUE = Rule(
    name="escalation_overdue",
    label=_l("Escalation awaiting your decision past its due date (daily)"),
    subject_type="escalation",
    targets=_escalation_overdue,
    key=lambda row, ctx: (
        f"escalation_overdue:{row.subject_id}:{row.recipient_id}:{ctx.today.isoformat()}"
    ),
    message=_escalation_overdue_text,
    link=lambda row: f"/escalations/{row.subject_id}",
    mandatory=True,
    order=80,
)


# --- the weekly digest's "decisions due" -----------------------------------------------------


def _decisions_due_lines(ctx: RuleContext, task_force_ids: list[int]) -> dict[int, list[str]]:
    """Pending escalations due this week or overdue, per task force: one query."""
    _monday, sunday = week_of(ctx.today)
    rows = db.session.execute(
        select(Escalation.task_force_id, Escalation.due_on, Escalation.question, Issue.code)
        .join(Issue, Issue.id == Escalation.issue_id)
        .where(
            Escalation.task_force_id.in_(task_force_ids),
            Escalation.status == PENDING,
            Escalation.due_on <= sunday,
        )
        .order_by(Escalation.task_force_id, Escalation.due_on, Escalation.id)
    ).all()
    lines: dict[int, list[str]] = {}
    for row in rows:
        # A date before the digest's own day is overdue: data, the same in every language.
        lines.setdefault(row.task_force_id, []).append(
            f"{row.due_on.isoformat()} {row.code} {question(row.question, 40)}"
        )
    return lines


DECISIONS_DUE = DigestSection(_l("Decisions due"), _decisions_due_lines)


# --- the leader's instructions not answered yet --------------------------------------------


def _instruction_unanswered(ctx: RuleContext) -> Select:
    # Its owner (the escalation's raiser, else the item's owner), every day until answered,
    # while the item is open and the owner is on the task force.
    owner = instructions.owner_column()
    return (
        select(
            owner.label("recipient_id"),
            Instruction.task_force_id,
            Instruction.id.label("subject_id"),
            Instruction.issue_id,
            Instruction.escalation_id,
            Instruction.text,
            Instruction.written_at,
            Issue.code,
            Issue.title,
        )
        .join(Issue, Issue.id == Instruction.issue_id)
        .outerjoin(Escalation, Escalation.id == Instruction.escalation_id)
        .join(
            Membership,
            and_(
                Membership.task_force_id == Instruction.task_force_id, Membership.user_id == owner
            ),
        )
        .where(
            Instruction.answered_at.is_(None),
            Issue.status.in_(OPEN_STATUSES),
            Membership.active_on(ctx.today),
        )
    )


def _instruction_unanswered_text(row, ctx: RuleContext, extra) -> str:
    return _(
        "The leader's instruction on %(code)s %(title)s of %(day)s awaits your answer "
        "on how it is carried out: %(text)s",
        code=row.code,
        title=row.title,
        day=clock.local_date(as_datetime(row.written_at)).isoformat(),
        text=question(row.text),
    )


def _instruction_link(row) -> str:
    return instructions.anchor(row.subject_id, row.issue_id, row.escalation_id)


INSTRUCTION_UNANSWERED = Rule(
    name="instruction_unanswered",
    label=_l("The leader's instruction awaiting your answer (daily)"),
    subject_type="instruction",
    targets=_instruction_unanswered,
    key=lambda row, ctx: (
        f"instruction_unanswered:{row.subject_id}:{row.recipient_id}:{ctx.today.isoformat()}"
    ),
    message=_instruction_unanswered_text,
    link=_instruction_link,
    mandatory=True,
    order=85,
)
