"""Escalations (提级) and their decisions, supervision (督导) and nudges (催办).

Members raise escalations on items they own or collaborate on, the leaders on any. An
escalation to the executive leader is decided by the executive leader or the leader; one
to the leader by the leader alone. Deciding writes the decision and applies it to the
issue (unblock, new deadline, new owner) in one transaction, and tells the raiser and the
owner. A supervision escalation puts the item under the leader's supervision (组长督办)
until the leader lifts it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.core import audit, clock, hooks
from app.core.errors import (
    ConfirmationRequired,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from app.core.outbox import tell
from app.core.paging import within
from app.core.permissions import EXEC_LEADER, LEADER, authorize, can
from app.core.scope import get_in_scope, unscoped
from app.core.service import check_version
from app.decisions.models import (
    DECIDED,
    ESCALATION_STATUSES,
    KINDS,
    LEVEL_LEADER,
    LEVELS,
    PENDING,
    SUPERVISION,
    Decision,
    Escalation,
    Nudge,
)
from app.extensions import db
from app.issues import service as issues
from app.issues.lights import LightRules, light_clause, light_expression
from app.issues.models import OPEN_STATUSES, RED, YELLOW, Issue
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


# --- who may ---------------------------------------------------------------------------------


def may_raise(actor: User, issue: Issue) -> bool:
    """Members on items they own or collaborate on; the leaders on any."""
    if not can(actor, "escalation.raise", issue.task_force_id):
        return False
    if can(actor, "issue.manage", issue.task_force_id):
        return True
    return issue.owner_id == actor.id or any(u.id == actor.id for u in issue.collaborators)


def deciders_for(level: str) -> set[str]:
    return {LEADER} if level == LEVEL_LEADER else {LEADER, EXEC_LEADER}


def may_decide(actor: User, escalation: Escalation) -> bool:
    """An escalation to the executive leader: the executive leader or the leader;
    one to the leader: the leader only."""
    if not can(actor, "escalation.decide", escalation.task_force_id):
        return False
    return bool(actor.roles_in(escalation.task_force_id) & deciders_for(escalation.level))


def is_leader(actor: User, task_force_id: int) -> bool:
    return LEADER in actor.roles_in(task_force_id)


# --- raising ---------------------------------------------------------------------------------


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
    authorize(actor, "escalation.raise", issue.task_force_id)
    if not may_raise(actor, issue):
        raise PermissionDenied(
            _("Only the owner, a collaborator or the leaders may escalate this item.")
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
    db.session.commit()
    return escalation


# --- deciding --------------------------------------------------------------------------------


@dataclass
class DecisionInput:
    text: str
    chosen_option: str = ""
    rationale: str = ""
    unblock: bool = False
    new_deadline: date | None = None
    new_owner_id: int | None = None
    meeting_id: int | None = None


def decide(
    actor: User, escalation: Escalation, data: DecisionInput, version: int | None = None
) -> Decision:
    """Record the decision and apply it to the issue, all in one transaction.

    :raise PermissionDenied: when the actor may not decide at this level.
    :raise InvalidTransition: when it is decided already, or the issue cannot be unblocked.
    :raise ValidationFailed: on a missing decision text, an unknown option or owner.
    :raise StaleEdit: when someone changed the escalation after ``version`` was read.
    Nothing is written when any of these is raised.
    """
    try:
        decision = _decide(actor, escalation, data, version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return decision


def _decide(actor: User, escalation: Escalation, data: DecisionInput, version) -> Decision:
    authorize(actor, "escalation.decide", escalation.task_force_id)
    if not may_decide(actor, escalation):
        raise PermissionDenied(_("Only the leader decides an escalation to the leader."))
    check_version(escalation, version)
    if escalation.status != PENDING:
        raise InvalidTransition(_("This escalation is decided already."))
    text = (data.text or "").strip()
    if not text:
        raise ValidationFailed(_("Write the decision."), "text")
    chosen = (data.chosen_option or "").strip()
    if chosen and chosen not in escalation.options:
        raise ValidationFailed(_("Choose one of the options."), "chosen_option")
    meeting_id = data.meeting_id
    if meeting_id is not None and meeting_choice(escalation.task_force_id, meeting_id) is None:
        raise ValidationFailed(_("Choose one of the meetings."), "meeting_id")
    issue = escalation.issue
    issue_changes = issues.apply_outcome(
        actor,
        issue,
        unblock=data.unblock,
        deadline=data.new_deadline,
        owner_id=data.new_owner_id,
        reason=text,
    )
    decision = Decision(
        task_force_id=escalation.task_force_id,
        escalation_id=escalation.id,
        text=text,
        chosen_option=chosen,
        rationale=(data.rationale or "").strip(),
        decided_by_id=actor.id,
        decided_at=clock.now(),
        meeting_id=data.meeting_id,
        unblocked="status" in issue_changes,
        new_deadline=data.new_deadline if "deadline" in issue_changes else None,
        new_owner_id=data.new_owner_id if "owner_id" in issue_changes else None,
    )
    db.session.add(decision)
    escalation.status = DECIDED
    db.session.flush()
    audit.record(
        actor,
        "decided",
        escalation,
        {"status": [PENDING, DECIDED], "decision": [None, text]},
        summary=f"{issue.code} {text}",
    )
    recipients = {escalation.raised_by_id, issue.owner_id} - {None, actor.id}
    for user in db.session.scalars(select(User).where(User.id.in_(recipients))):
        _tell(
            user,
            "decision",
            f"decision:{decision.id}:{user.id}",
            f"/escalations/{escalation.id}",
            escalation,
            escalation.task_force_id,
            lambda: _(
                "%(who)s decided on %(code)s %(title)s: %(text)s",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
                text=text,
            ),
        )
    return decision


def schedule(
    actor: User,
    escalation: Escalation,
    day: date | None,
    meeting_id: int | None = None,
    confirmed: bool = False,
) -> None:
    """Put a pending escalation on the agenda of the meeting ``meeting_id`` (one of its task
    force's), or of the meeting held on ``day``; neither: take it off.

    :raise ConfirmationRequired: for a meeting after the decision's due date, unless
        ``confirmed``: the decision would come late.
    """
    authorize(actor, "escalation.decide", escalation.task_force_id)
    if escalation.status != PENDING:
        raise InvalidTransition(_("This escalation is decided already."))
    if meeting_id is not None:
        meeting = meeting_choice(escalation.task_force_id, meeting_id)
        if meeting is None:
            raise ValidationFailed(_("Choose one of the meetings."), "meeting_id")
        if meeting.day < clock.today():
            raise ValidationFailed(_("This meeting has taken place already."), "meeting_id")
        day = meeting.day
    if day is not None and day < clock.today():
        raise ValidationFailed(_("The meeting day must not be in the past."), "day")
    late = day is not None and day > escalation.due_on and day != escalation.scheduled_for
    if late and not confirmed:
        raise ConfirmationRequired(
            _(
                "The meeting on %(day)s is after the decision's due date, %(due)s: the "
                "decision would come late. Put it on that meeting's agenda anyway?",
                day=day.isoformat(),
                due=escalation.due_on.isoformat(),
            ),
            field="meeting_id" if meeting_id is not None else "day",
        )
    changes = audit.apply_changes(escalation, {"scheduled_for": day})
    if changes:
        audit.record(actor, "scheduled", escalation, changes, summary=escalation.question[:120])
    db.session.commit()


# --- meetings (through the hook: meetings is a sibling feature) ---------------------------

# How far back the decide form offers meetings, how far ahead the schedule form does.
RECENT_MEETING_DAYS = 45
UPCOMING_MEETING_DAYS = 120
MEETING_KIND_ORDER = {"progress": 0, "review": 1, "one_on_one": 2}


def meeting_choice(task_force_id: int, meeting_id) -> hooks.MeetingChoice | None:
    """The meeting ``meeting_id`` when it is one of the task force's and not cancelled."""
    try:
        ident = int(meeting_id)
    except (TypeError, ValueError):
        return None
    found = hooks.MEETING_CHOICES.collect(task_force_id, None, None, ids=[ident])
    return next((m for m in found if m.id == ident), None)


@dataclass
class MeetingOptions:
    """The meetings an escalation's page offers: one hook call."""

    upcoming: list  # to schedule onto: planned, from today; progress meetings first
    recent: list  # to decide in: held or planned, recent up to today; latest first
    today: hooks.MeetingChoice | None  # the one of today, progress first
    by_id: dict  # every meeting read, by id (the decision's meeting among them)


def meeting_options(task_force_id: int, ids=()) -> MeetingOptions:
    today = clock.today()
    found = hooks.MEETING_CHOICES.collect(
        task_force_id,
        today - timedelta(days=RECENT_MEETING_DAYS),
        today + timedelta(days=UPCOMING_MEETING_DAYS),
        ids=[i for i in ids if i is not None],
    )
    kind_order = MEETING_KIND_ORDER
    upcoming = sorted(
        (m for m in found if m.day >= today and m.status == "planned"),
        key=lambda m: (kind_order.get(m.kind, 9), m.day, m.id),
    )
    recent = sorted(
        (
            m
            for m in found
            if today - timedelta(days=RECENT_MEETING_DAYS) <= m.day <= today
            and m.status in ("planned", "held")
        ),
        key=lambda m: (m.day, -kind_order.get(m.kind, 9), m.id),
        reverse=True,
    )
    today_meeting = next((m for m in recent if m.day == today), None)
    return MeetingOptions(upcoming, recent, today_meeting, {m.id: m for m in found})


def meetings_by_id(task_force_id: int, ids) -> dict[int, hooks.MeetingChoice]:
    """The meetings of ``ids`` by id: one query, none when there are no ids."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return {m.id: m for m in hooks.MEETING_CHOICES.collect(task_force_id, None, None, ids=ids)}


def decisions_in_meeting(task_force_id: int, meeting_id: int) -> list[Decision]:
    """The decisions taken in a meeting with their escalation and item: one query."""
    return list(
        db.session.scalars(
            select(Decision)
            .where(Decision.task_force_id == task_force_id, Decision.meeting_id == meeting_id)
            .options(
                joinedload(Decision.escalation).joinedload(Escalation.issue),
                joinedload(Decision.decided_by),
            )
            .order_by(Decision.decided_at, Decision.id)
        )
    )


# --- reading ---------------------------------------------------------------------------------


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
    roles = actor.roles_in(task_force_id)
    may = can(actor, "escalation.decide", task_force_id)
    return [
        QueueRow(e, e.overdue_on(today), may and bool(roles & deciders_for(e.level))) for e in rows
    ]


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
            and_(Escalation.task_force_id == task_force_id, Escalation.level.in_(levels))
            for task_force_id, levels in decided.items()
        ),
    )


def pending_for_person(actor: User, task_force_ids: list[int]) -> list[QueueRow]:
    """Pending escalations the actor raised or may decide, oldest first, across
    ``task_force_ids``: one query."""
    decided = _levels_decided(actor, task_force_ids)
    with unscoped():  # across task forces: the query names them
        rows = db.session.scalars(
            select(Escalation)
            .where(
                Escalation.task_force_id.in_(list(task_force_ids)),
                Escalation.status == PENDING,
                or_(Escalation.raised_by_id == actor.id, _decides(decided)),
            )
            .options(joinedload(Escalation.issue))
            .order_by(Escalation.raised_at, Escalation.id)
        ).all()
    today = clock.today()
    return [
        QueueRow(e, e.overdue_on(today), e.level in decided.get(e.task_force_id, ())) for e in rows
    ]


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


def escalations_of_issue(issue: Issue) -> tuple[list[Escalation], int]:
    """The item's escalations, newest first, and how many nudges it had: one query."""
    nudges = select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id).scalar_subquery()
    rows = (
        db.session.execute(
            select(Escalation, nudges)
            .select_from(Issue)
            .outerjoin(Escalation, Escalation.issue_id == Issue.id)
            .where(Issue.id == issue.id)
            .options(
                joinedload(Escalation.raised_by),
                joinedload(Escalation.decision).joinedload(Decision.decided_by),
            )
            .order_by(Escalation.raised_at.desc(), Escalation.id.desc())
        )
        .unique()
        .all()
    )
    count = rows[0][1] if rows else 0
    return [e for e, _n in rows if e is not None], count or 0


# --- the register ----------------------------------------------------------------------------


@dataclass
class RegisterFilter:
    kind: str | None = None
    level: str | None = None
    status: str | None = None
    raised_from: date | None = None
    raised_to: date | None = None
    q: str = ""


def _local_day_start_utc(day: date) -> datetime:
    return clock.start_of_day(day)


def _filtered(task_force_id: int, filters: RegisterFilter) -> Select:
    stmt = (
        select(Escalation, Decision)
        .join(Issue, Issue.id == Escalation.issue_id)
        .outerjoin(Decision, Decision.escalation_id == Escalation.id)
        .where(Escalation.task_force_id == task_force_id)
    )
    if filters.kind in KINDS:
        stmt = stmt.where(Escalation.kind == filters.kind)
    if filters.level in LEVELS:
        stmt = stmt.where(Escalation.level == filters.level)
    if filters.status in ESCALATION_STATUSES:
        stmt = stmt.where(Escalation.status == filters.status)
    if filters.raised_from:
        stmt = stmt.where(Escalation.raised_at >= _local_day_start_utc(filters.raised_from))
    if filters.raised_to:
        end = _local_day_start_utc(filters.raised_to + timedelta(days=1))
        stmt = stmt.where(Escalation.raised_at < end)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(
                Escalation.question.ilike(like),
                Issue.code.ilike(like),
                Issue.title.ilike(like),
                Decision.text.ilike(like),
            )
        )
    return stmt


@dataclass
class RegisterRow:
    escalation: Escalation
    decision: Decision | None
    days_to_decision: float | None  # None while pending
    overdue: bool  # pending past its due date, or decided after it
    decider_name: str | None = None

    @property
    def issue(self) -> Issue:
        return self.escalation.issue


def _days_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def register_rows(actor: User, task_force_id: int, filters: RegisterFilter) -> list[RegisterRow]:
    """Every matching escalation with its outcome and time to decision, newest first (the
    exports): one query."""
    authorize(actor, "escalation.view", task_force_id)
    return rows_of_register(task_force_id, filters)


def rows_of_register(
    task_force_id: int, filters: RegisterFilter, limit: int | None = None, offset: int = 0
) -> list[RegisterRow]:
    """``register_rows`` without the permission check (the review pack, a page of the
    register): at most ``limit`` rows after the first ``offset``."""
    today = clock.today()
    decider = aliased(User)
    newest_first = (Escalation.raised_at.desc(), Escalation.id.desc())
    stmt = _filtered(task_force_id, filters)
    if limit is not None:
        # Sort the matching ids alone and join the wide rows for the page only.
        shown = (
            stmt.with_only_columns(Escalation.id)
            .order_by(*newest_first)
            .limit(limit)
            .offset(offset or None)
        )
        stmt = _filtered(task_force_id, RegisterFilter()).where(Escalation.id.in_(shown))
    stmt = (
        stmt.outerjoin(decider, decider.id == Decision.decided_by_id)
        .add_columns(decider.display_name)
        .options(
            joinedload(Escalation.issue),
            joinedload(Escalation.raised_by),
        )
        .order_by(*newest_first)
    )
    rows = []
    for escalation, decision, decider_name in db.session.execute(stmt).unique():
        if decision is not None:
            days = _days_between(escalation.raised_at, decision.decided_at)
            late = clock.local_date(decision.decided_at) > escalation.due_on
        else:
            days = None
            late = escalation.due_on < today
        rows.append(RegisterRow(escalation, decision, days, late, decider_name))
    return rows


@dataclass
class GroupFigures:
    total: int = 0
    decided: int = 0
    overdue_now: int = 0
    median_days: float | None = None


@dataclass
class RegisterFigures:
    total: int
    decided: int
    pending: int
    overdue_now: int
    decided_late: int
    median_days: float | None
    by_kind: dict[str, GroupFigures]
    by_level: dict[str, GroupFigures]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def register_figures(actor: User, task_force_id: int, filters: RegisterFilter) -> RegisterFigures:
    """Median days to decision, decisions overdue now, by kind and level, as of today, over
    every matching escalation. Two queries: counts grouped by kind and level, and the decided
    ones' durations for the medians (SQLite has no median, so it is taken in Python)."""
    authorize(actor, "escalation.view", task_force_id)
    return figures_of_register(task_force_id, filters)


def figures_of_register(task_force_id: int, filters: RegisterFilter) -> RegisterFigures:
    """``register_figures`` without the permission check (the review pack)."""
    today = clock.today()
    matching = _filtered(task_force_id, filters)
    esc = matching.with_only_columns(
        Escalation.kind, Escalation.level, Escalation.status, Escalation.due_on, Decision.decided_at
    ).subquery()
    counts = db.session.execute(
        select(
            esc.c.kind,
            esc.c.level,
            func.count(),
            func.count().filter(esc.c.status == DECIDED),
            func.count().filter(and_(esc.c.status == PENDING, esc.c.due_on < today)),
            func.count().filter(clock.local_day(esc.c.decided_at) > esc.c.due_on),
        ).group_by(esc.c.kind, esc.c.level)
    ).all()
    durations = db.session.execute(
        matching.with_only_columns(
            Escalation.kind, Escalation.level, Escalation.raised_at, Decision.decided_at
        ).where(Decision.id.is_not(None))
    ).all()
    by_kind = {k: GroupFigures() for k in KINDS}
    by_level = {lv: GroupFigures() for lv in LEVELS}
    late = 0
    for kind, level, total, decided, overdue_now, decided_late in counts:
        late += decided_late
        for group in (by_kind[kind], by_level[level]):
            group.total += total
            group.decided += decided
            group.overdue_now += overdue_now
    all_days: list[float] = []
    kind_days: dict[str, list[float]] = {k: [] for k in KINDS}
    level_days: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    for kind, level, raised_at, decided_at in durations:
        days = _days_between(raised_at, decided_at)
        all_days.append(days)
        kind_days[kind].append(days)
        level_days[level].append(days)
    for kind, group in by_kind.items():
        group.median_days = _median(kind_days[kind])
    for level, group in by_level.items():
        group.median_days = _median(level_days[level])
    total = sum(g.total for g in by_kind.values())
    decided = sum(g.decided for g in by_kind.values())
    return RegisterFigures(
        total=total,
        decided=decided,
        pending=total - decided,
        overdue_now=sum(g.overdue_now for g in by_kind.values()),
        decided_late=late,
        median_days=_median(all_days),
        by_kind=by_kind,
        by_level=by_level,
    )


@dataclass
class RegisterPage:
    rows: list[RegisterRow]
    figures: RegisterFigures  # over every matching escalation, not the page
    total: int
    page: int
    pages: int


def register_page(
    actor: User, task_force_id: int, filters: RegisterFilter, page: int = 1, per_page: int = 50
) -> RegisterPage:
    """One page of the register, newest first, and the figures over all it matches: three
    queries (the figures' total is the page count's)."""
    authorize(actor, "escalation.view", task_force_id)
    figures = figures_of_register(task_force_id, filters)
    page, pages = within(page, figures.total, per_page)
    rows = rows_of_register(task_force_id, filters, limit=per_page, offset=(page - 1) * per_page)
    return RegisterPage(rows, figures, figures.total, page, pages)


# --- the meeting agenda ----------------------------------------------------------------------


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


# --- supervision -----------------------------------------------------------------------------

MAJOR_PRIORITIES = ("urgent", "high")


def major_clause():
    """The leader's items: major, urgent or high priority, or under the leader's supervision."""
    return or_(Issue.major.is_(True), Issue.priority.in_(MAJOR_PRIORITIES), Issue.supervised)


def _nudge_count():
    return (
        select(func.count(Nudge.id))
        .where(Nudge.issue_id == Issue.id)
        .correlate(Issue)
        .scalar_subquery()
        .label("nudges")
    )


@dataclass
class BoardRow:
    issue: Issue
    light: str
    nudges: int


@dataclass
class BoardPage:
    rows: list[BoardRow]
    total: int
    page: int
    pages: int


def _board(task_force_id: int, condition, page: int, per_page: int) -> BoardPage:
    """One page of a board: supervised items first, then red, yellow, the rest, each by
    deadline. Two queries: the count, then the page's ids sorted alone and joined to the
    items, their owners, lights and nudge counts."""
    rules = LightRules.current()
    where = (
        Issue.task_force_id == task_force_id,
        Issue.status.in_(OPEN_STATUSES),
        condition(rules),
    )
    total = db.session.scalar(select(func.count(Issue.id)).where(*where)) or 0
    page, pages = within(page, total, per_page)
    urgency = case((light_clause(rules, RED), 0), (light_clause(rules, YELLOW), 1), else_=2)
    order = (Issue.supervised.desc(), urgency, Issue.deadline.is_(None), Issue.deadline, Issue.id)
    shown = (
        select(Issue.id, urgency.label("urgency"))
        .where(*where)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    rows = db.session.execute(
        select(Issue, light_expression(rules).label("light"), _nudge_count())
        .join(shown, shown.c.id == Issue.id)
        .options(joinedload(Issue.owner))
        .order_by(
            Issue.supervised.desc(),
            shown.c.urgency,
            Issue.deadline.is_(None),
            Issue.deadline,
            Issue.id,
        )
    ).unique()
    return BoardPage(
        [BoardRow(issue, light, nudges or 0) for issue, light, nudges in rows], total, page, pages
    )


def leader_board(actor: User, task_force_id: int, page: int = 1, per_page: int = 50) -> BoardPage:
    """组长抓重大事项督导: major items and those under the leader's supervision."""
    authorize(actor, "supervision.view", task_force_id)
    return _board(task_force_id, lambda rules: major_clause(), page, per_page)


def exec_board(actor: User, task_force_id: int, page: int = 1, per_page: int = 50) -> BoardPage:
    """执行组长抓日常督导: everything else that is red, yellow (due soon, a milestone late,
    stale) or not acknowledged by its owner."""
    authorize(actor, "supervision.view", task_force_id)
    return _board(
        task_force_id,
        lambda rules: and_(
            ~major_clause(),
            or_(
                light_clause(rules, RED),
                light_clause(rules, YELLOW),
                and_(Issue.owner_id.is_not(None), Issue.acknowledged_at.is_(None)),
            ),
        ),
        page,
        per_page,
    )


def nudge(actor: User, issue: Issue, note: str = "") -> Nudge:
    """Remind the owner (催办): an in-app message now, logged on the item and counted.

    :raise PermissionDenied: for anyone but the leaders.
    :raise InvalidTransition: for a finished item or one without an owner.
    """
    authorize(actor, "supervision.nudge", issue.task_force_id)
    if not can(actor, "issue.manage", issue.task_force_id):
        raise PermissionDenied(_("Only the leader or the executive leader may do this."))
    if issue.status not in OPEN_STATUSES:
        raise InvalidTransition(_("The item is finished; there is nobody to remind."))
    if issue.owner_id is None:
        raise InvalidTransition(_("The item has no owner to remind."))
    note = (note or "").strip()[:300]
    entry = Nudge(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        recipient_id=issue.owner_id,
        sent_by_id=actor.id,
        note=note,
        sent_at=clock.now(),
    )
    db.session.add(entry)
    db.session.flush()
    count = db.session.scalar(select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id))
    audit.record(actor, "nudged", issue, {"nudges": [count - 1, count]}, summary=note or issue.code)
    owner = db.session.get(User, issue.owner_id)

    def message() -> str:
        text = _(
            "%(who)s reminds you of %(code)s %(title)s (reminder %(n)d).",
            who=actor.display_name,
            code=issue.code,
            title=issue.title,
            n=count,
        )
        return f"{text} {note}" if note else text

    _tell(
        owner,
        "nudge",
        f"nudge:{entry.id}",
        f"/issues/{issue.id}",
        issue,
        issue.task_force_id,
        message,
    )
    db.session.commit()
    return entry


def lift_supervision(actor: User, issue: Issue) -> None:
    """:raise PermissionDenied: for anyone but the leader."""
    authorize(actor, "supervision.nudge", issue.task_force_id)
    if not is_leader(actor, issue.task_force_id):
        raise PermissionDenied(_("Only the leader lifts the leader's supervision."))
    if not issue.supervised:
        raise InvalidTransition(_("The item is not under the leader's supervision."))
    issue.supervised = False
    audit.record(
        actor, "supervision_lifted", issue, {"supervised": [True, False]}, summary=issue.code
    )
    db.session.commit()


def nudge_count(issue: Issue) -> int:
    return db.session.scalar(select(func.count(Nudge.id)).where(Nudge.issue_id == issue.id)) or 0


def issue_options(task_force_id: int) -> list[tuple[int, str]]:
    """(id, "code title") of the task force's items, for selects: one query."""
    return [
        (i, f"{code} {title}")
        for i, code, title in db.session.execute(
            select(Issue.id, Issue.code, Issue.title)
            .where(Issue.task_force_id == task_force_id)
            .order_by(Issue.code)
        )
    ]
