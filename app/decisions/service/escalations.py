"""Escalations (提级): raising one on an item, and reading them: one escalation, the queue,
the deciders' queue across task forces, an item's escalations, those for a meeting's
agenda.

Members raise escalations on items they own or collaborate on, the leaders on any
(``escalation.raise``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.orm import joinedload

from app.core import audit, clock, hooks
from app.core.database import constant, constant_in
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize, can, deciders_for
from app.core.scope import get_in_scope, unscoped
from app.decisions.models import KINDS, LEVELS, PENDING, SUPERVISION, Decision, Escalation, Nudge
from app.extensions import db
from app.issues.models import OPEN_STATUSES, Issue
from app.people.models import Membership, User

MAX_OPTIONS = 10


def add_working_days(day: date, n: int) -> date:
    """``n`` working days after ``day``, Saturdays and Sundays skipped."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def default_due_on() -> date:
    return add_working_days(clock.today(), current_app.config["ESCALATION_DUE_WORKING_DAYS"])


@dataclass
class EscalationInput:
    kind: str
    level: str
    question: str
    options: list[str] = field(default_factory=list)
    recommendation: str = ""
    due_on: date | None = None


def parse_options(text: str) -> list[str]:
    """One option per line; blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _tell(recipient: User, kind: str, key: str, link: str, subject, task_force_id: int, message):
    tell(recipient, kind, message, key, link, subject, task_force_id)


def _active_with_roles(task_force_id: int, roles: set[str]) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.task_force_id == task_force_id,
                Membership.role.in_(roles),
                Membership.active_on(clock.today()),
                User.active.is_(True),
            )
        ).unique()
    )


def raise_escalation(actor: User, issue: Issue, data: EscalationInput) -> Escalation:
    """Move a question on ``issue`` up a level.

    :raise PermissionDenied: when the actor may not raise on this item.
    :raise ValidationFailed: on a missing question, an unknown kind or level, a past due date.
    """
    authorize(
        actor,
        "escalation.raise",
        issue,
        message=_("Only the owner, a collaborator or the leaders may escalate this item."),
    )
    if data.kind not in KINDS:
        raise ValidationFailed(_("Choose a kind."), "kind")
    if data.level not in LEVELS:
        raise ValidationFailed(_("Choose a level."), "level")
    question = (data.question or "").strip()
    if not question:
        raise ValidationFailed(_("Write the question to decide."), "question")
    options = [o.strip() for o in data.options if o.strip()]
    if len(options) > MAX_OPTIONS:
        raise ValidationFailed(_("At most %(n)d options.", n=MAX_OPTIONS), "options")
    if issue.status not in OPEN_STATUSES:
        raise InvalidTransition(_("Reopen the item before escalating it."))
    due_on = data.due_on or default_due_on()
    if due_on < clock.today():
        raise ValidationFailed(_("The due date must not be in the past."), "due_on")
    escalation = Escalation(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        kind=data.kind,
        level=data.level,
        question=question,
        options=options,
        recommendation=(data.recommendation or "").strip(),
        due_on=due_on,
        status=PENDING,
        raised_by_id=actor.id,
        raised_at=clock.now(),
    )
    db.session.add(escalation)
    db.session.flush()
    audit.record(
        actor,
        "raised",
        escalation,
        {"kind": [None, data.kind], "level": [None, data.level]},
        summary=f"{issue.code} {question}",
    )
    changes = {"escalation": [None, escalation.id]}
    if data.kind == SUPERVISION and not issue.supervised:
        issue.supervised = True
        changes["supervised"] = [False, True]
    audit.record(actor, "escalated", issue, changes, summary=f"{issue.code} {question}"[:300])
    for decider in _active_with_roles(issue.task_force_id, deciders_for(data.level)):
        if decider.id == actor.id:
            continue
        _tell(
            decider,
            "escalation",
            f"escalation:{escalation.id}:{decider.id}",
            f"/escalations/{escalation.id}",
            escalation,
            issue.task_force_id,
            lambda: _(
                "%(who)s escalated %(code)s %(title)s for your decision by %(due)s: %(question)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                due=escalation.due_on.isoformat(),
                question=question,
            ),
        )
    return escalation


def get_escalation(escalation_id) -> Escalation:
    """:raise NotFound: for an unknown id or one of another task force."""
    escalation = get_in_scope(db.session, Escalation, escalation_id)
    return escalation


def load_escalation(actor: User, escalation_id) -> Escalation:
    escalation = get_escalation(escalation_id)
    authorize(actor, "escalation.view", escalation.task_force_id)
    return escalation


@dataclass
class QueueRow:
    escalation: Escalation
    overdue: bool
    mine: bool  # the actor may decide it


def queue(actor: User, task_force_id: int) -> list[QueueRow]:
    """Every pending escalation, oldest first; which are overdue, which the actor decides."""
    authorize(actor, "escalation.view", task_force_id)
    today = clock.today()
    rows = db.session.scalars(
        select(Escalation)
        .where(Escalation.task_force_id == task_force_id, Escalation.status == PENDING)
        .options(
            joinedload(Escalation.issue).joinedload(Issue.owner),
            joinedload(Escalation.raised_by),
        )
        .order_by(Escalation.raised_at, Escalation.id)
    ).all()
    return [QueueRow(e, e.overdue_on(today), can(actor, "escalation.decide", e)) for e in rows]


def _levels_decided(actor: User, task_force_ids: list[int]) -> dict[int, list[str]]:
    """The escalation levels the actor decides, per task force (roles differ in each)."""
    decided = {}
    for task_force_id in task_force_ids:
        if can(actor, "escalation.decide", task_force_id):
            roles = actor.roles_in(task_force_id)
            levels = [lv for lv in LEVELS if roles & deciders_for(lv)]
            if levels:
                decided[task_force_id] = levels
    return decided


def _decides(decided: dict[int, list[str]]):
    """SQL: an escalation at a level the actor decides in its task force."""
    return or_(
        false(),
        *(
            and_(Escalation.task_force_id == task_force_id, constant_in(Escalation.level, levels))
            for task_force_id, levels in decided.items()
        ),
    )


def pending_for_person(actor: User, task_force_ids: list[int]) -> list[QueueRow]:
    """Pending escalations the actor raised or may decide, oldest first, across
    ``task_force_ids``: one query."""
    return first_pending_for_person(actor, task_force_ids, None)[0]


def first_pending_for_person(
    actor: User, task_force_ids: list[int], limit: int | None
) -> tuple[list[QueueRow], int]:
    """The ``limit`` longest waiting of ``pending_for_person`` (every one: None) and how
    many there are in all, counted in the same query."""
    decided = _levels_decided(actor, task_force_ids)
    with unscoped():  # across task forces: the query names them
        rows = db.session.execute(
            select(Escalation, func.count().over())
            .where(
                Escalation.task_force_id.in_(list(task_force_ids)),
                constant_in(Escalation.status, (PENDING,)),
                or_(Escalation.raised_by_id == actor.id, _decides(decided)),
            )
            # What the lists show of the item: its code (not its whole row, twenty times).
            .options(joinedload(Escalation.issue).load_only(Issue.code, Issue.task_force_id))
            .order_by(Escalation.raised_at, Escalation.id)
            .limit(None if limit is None else constant(limit))
        ).all()
    today = clock.today()
    queue = [
        QueueRow(e, e.overdue_on(today), e.level in decided.get(e.task_force_id, ()))
        for e, _total in rows
    ]
    return queue, rows[0][1] if rows else 0


def to_decide(actor: User, task_force_ids: list[int]) -> list[QueueRow]:
    """The deciders' queue: pending escalations the actor may decide in any of
    ``task_force_ids``, oldest first: one query.

    :raise PermissionDenied: when the actor may not see escalations in one of them.
    """
    for task_force_id in task_force_ids:
        authorize(actor, "escalation.view", task_force_id)
    decided = _levels_decided(actor, task_force_ids)
    if not decided:
        return []
    with unscoped():  # across task forces: the query names them
        rows = db.session.scalars(
            select(Escalation)
            .where(Escalation.status == PENDING, _decides(decided))
            .options(
                joinedload(Escalation.issue).joinedload(Issue.owner),
                joinedload(Escalation.raised_by),
            )
            .order_by(Escalation.raised_at, Escalation.id)
        ).all()
    today = clock.today()
    return [QueueRow(e, e.overdue_on(today), True) for e in rows]


def escalations_of_issue(issue: hooks.IssueFacts) -> tuple[list[Escalation], int]:
    """The item's escalations, newest first, and how many nudges it had: one query, of
    these tables alone (the item's panel is kept until one of them changes)."""
    nudges = select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id).scalar_subquery()
    # One row even without escalations (it carries the count): a lone row, joined.
    lone = select(literal(1).label("one")).subquery("lone")
    rows = (
        db.session.execute(
            select(Escalation, nudges)
            .select_from(lone)
            .outerjoin(Escalation, Escalation.issue_id == issue.id)
            # What the item's panel shows: each decision and who made it.
            .options(joinedload(Escalation.decision).joinedload(Decision.decided_by))
            .order_by(Escalation.raised_at.desc(), Escalation.id.desc())
        )
        .unique()
        .all()
    )
    count = rows[0][1] if rows else 0
    return [e for e, _n in rows if e is not None], count or 0


def pending_due_between(task_force_id: int, start: date, end: date, per_day: int | None):
    """The pending escalations due between ``start`` and ``end``, as plain rows (id, the
    item's code, question, due_on), by day then id; with ``per_day``, each day's first
    (``hooks.first_rows_per_day``). One query."""
    stmt = (
        select(Escalation.id, Issue.code, Escalation.question, Escalation.due_on)
        .join(Issue, Issue.id == Escalation.issue_id)
        .where(
            Escalation.task_force_id == task_force_id,
            Escalation.status == PENDING,
            Escalation.due_on >= start,
            Escalation.due_on <= end,
        )
    )
    stmt = hooks.first_rows_per_day(stmt, Escalation.due_on, Escalation.id, per_day)
    return db.session.execute(stmt.order_by("due_on", "id")).all()


def pending_for_agenda(task_force_id: int, until: date | None) -> list[Escalation]:
    """Pending escalations; those scheduled for a meeting up to ``until`` first, then the
    oldest. One query."""
    order: tuple = (Escalation.raised_at,)
    if until is not None:
        scheduled = and_(Escalation.scheduled_for.is_not(None), Escalation.scheduled_for <= until)
        order = (~scheduled, Escalation.raised_at)
    return list(
        db.session.scalars(
            select(Escalation)
            .where(Escalation.task_force_id == task_force_id, Escalation.status == PENDING)
            .options(joinedload(Escalation.issue))
            .order_by(*order, Escalation.id)
        )
    )
