"""Pilots' rules: lifecycle with its guards, objectives, review, decision, rollout, queries.

Every function takes the acting user, checks the permission table and the object-level
rule (the leaders act on any pilot; its owner and the owners of its rollout tasks work
on it), writes the audit event and flushes; the caller's boundary commits (``core.unit``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.core import audit, clock
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize, can
from app.core.scope import get_in_scope, unscoped
from app.core.service import check_version
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import GREEN, GREY, RED, YELLOW, Issue
from app.issues.service import (
    attachment_dir,
    issues_of,
    kept_only_if_saved,
    store_file,
)
from app.people.models import OrgUnit, User
from app.people.roster import active_member_ids
from app.pilots.models import (
    COMPLETED,
    DECIDED,
    DONE,
    EXTEND,
    FINISHED,
    NOT_APPLICABLE,
    NOT_STARTED,
    OPEN_ROLLOUT,
    OUTCOMES,
    PLANNED,
    REVIEWING,
    ROLL_OUT,
    ROLLING_OUT,
    ROLLOUT_STATUSES,
    RUNNING,
    STOP,
    STOPPED,
    Pilot,
    PilotEvidence,
    PilotObjective,
    RolloutChange,
    RolloutTask,
    pilot_issue,
    pilot_unit,
)


def _require_work(actor: User, pilot: Pilot) -> None:
    """The leaders, the pilot's owner and the owners of its rollout tasks (the table's
    ``pilot.work`` and its rule about the pilot)."""
    authorize(
        actor,
        "pilot.work",
        pilot,
        message=_(
            "Only the pilot's owner, its rollout owners or the leaders may change this pilot."
        ),
    )


def _require_manage(actor: User, target: int | Pilot, message: str | None = None) -> None:
    """The leaders of the task force (``target`` its id, or one of its pilots)."""
    authorize(actor, "pilot.manage", target, message=message)


def _require_open(pilot: Pilot) -> None:
    if pilot.status in FINISHED:
        raise InvalidTransition(_("The pilot is finished; it can no longer be changed."))


# --- pilots --------------------------------------------------------------------------------


@dataclass
class PilotInput:
    name: str
    measure: str = ""
    owner_id: int | None = None
    starts_on: date | None = None
    planned_end: date | None = None
    issue_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)


def _check_input(task_force_id: int, data: PilotInput) -> tuple[list[Issue], list[OrgUnit]]:
    if data.owner_id is not None and data.owner_id not in active_member_ids(task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    if data.starts_on and data.planned_end and data.planned_end < data.starts_on:
        raise ValidationFailed(_("The planned end is before the start."), "planned_end")
    issues = issues_of(task_force_id, data.issue_ids)
    units = []
    if data.unit_ids:
        units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(data.unit_ids))))
        if len(units) != len(set(data.unit_ids)):
            raise ValidationFailed(_("Unknown org unit."), "unit_ids")
    return issues, units


def _tell(recipient_id: int | None, kind: str, pilot: Pilot, key: str, message) -> None:
    """Queue a message about ``pilot`` in the recipient's language."""
    if recipient_id is None:
        return
    recipient = db.session.get(User, recipient_id)
    if recipient is None:
        return
    tell(recipient, kind, message, key, f"/pilots/{pilot.id}", pilot, pilot.task_force_id)


def create_pilot(actor: User, task_force_id: int, data: PilotInput) -> Pilot:
    """:raise PermissionDenied: unless a leader; :raise ValidationFailed: on bad input."""
    _require_manage(actor, task_force_id)
    issues, units = _check_input(task_force_id, data)
    pilot = Pilot(
        task_force_id=task_force_id,
        name=data.name,
        measure=data.measure,
        owner_id=data.owner_id,
        starts_on=data.starts_on,
        planned_end=data.planned_end,
        status=PLANNED,
        created_by_id=actor.id,
    )
    pilot.issues = issues
    pilot.units = units
    db.session.add(pilot)
    db.session.flush()
    audit.record(actor, "created", pilot, {"name": [None, pilot.name]}, summary=pilot.name)
    if data.owner_id and data.owner_id != actor.id:
        _tell(
            data.owner_id,
            "pilot_assigned",
            pilot,
            f"pilot-{pilot.id}-owner-{data.owner_id}",
            lambda: _("You own the pilot “%(name)s”.", name=pilot.name),
        )
    return pilot


def update_pilot(actor: User, pilot: Pilot, data: PilotInput, version: int | None) -> dict:
    _require_work(actor, pilot)
    check_version(pilot, version)
    issues, units = _check_input(pilot.task_force_id, data)
    changes = audit.apply_changes(
        pilot,
        {
            "name": data.name,
            "measure": data.measure,
            "owner_id": data.owner_id,
            "starts_on": data.starts_on,
            "planned_end": data.planned_end,
        },
    )
    old_issues = sorted(i.id for i in pilot.issues)
    if old_issues != sorted(i.id for i in issues):
        changes["issues"] = [old_issues, sorted(i.id for i in issues)]
        pilot.issues = issues
    old_units = sorted(u.id for u in pilot.units)
    if old_units != sorted(u.id for u in units):
        changes["units"] = [old_units, sorted(u.id for u in units)]
        pilot.units = units
    if changes:
        audit.record(actor, "updated", pilot, changes, summary=pilot.name)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return changes


# The lifecycle's plain moves; the decision has its own function.
TRANSITIONS = {
    PLANNED: (RUNNING,),
    RUNNING: (REVIEWING,),
    DECIDED: (ROLLING_OUT,),
    ROLLING_OUT: (COMPLETED,),
}


def allowed_transitions(actor: User, pilot: Pilot) -> list[str]:
    """The moves offered to ``actor`` (their preconditions are checked on the move)."""
    if not can(actor, "pilot.work", pilot):
        return []
    targets = list(TRANSITIONS.get(pilot.status, ()))
    if COMPLETED in targets and not can(actor, "pilot.manage", pilot):
        targets.remove(COMPLETED)
    return targets


def change_status(actor: User, pilot: Pilot, target: str, version: int | None = None) -> None:
    """Move a pilot along planned → running → reviewing, decided → rolling out → completed.

    :raise PermissionDenied: for someone who may not work on the pilot (and, to complete
        it, for anyone but the leaders).
    :raise InvalidTransition: for a move the lifecycle does not have, or whose
        precondition is missing (a rollout plan to roll out, every unit done to complete).
    """
    _require_work(actor, pilot)
    check_version(pilot, version)
    if target not in TRANSITIONS.get(pilot.status, ()):
        raise InvalidTransition(_("This pilot cannot move to that stage from its current one."))
    if target == COMPLETED:
        _require_manage(actor, pilot, _("Only the leader or the executive leader may do this."))
    today = clock.today()
    if target == RUNNING and pilot.starts_on is None:
        pilot.starts_on = today
    if target == ROLLING_OUT:
        if pilot.decision != ROLL_OUT:
            raise InvalidTransition(_("Only a pilot decided for rollout can be rolled out."))
        if not any(t.status != NOT_APPLICABLE for t in pilot.rollouts):
            raise InvalidTransition(_("Plan the rollout first: add at least one target org unit."))
    if target == COMPLETED and any(t.is_open for t in pilot.rollouts):
        raise InvalidTransition(
            _("Some org units have not finished the rollout; mark them done or not applicable.")
        )
    previous = pilot.status
    pilot.status = target
    if target == COMPLETED:
        pilot.completed_at = clock.now()
    audit.record(actor, "status", pilot, {"status": [previous, target]}, summary=pilot.name)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it


# --- objectives and results ----------------------------------------------------------------


def add_objective(
    actor: User,
    pilot: Pilot,
    title: str,
    metric: str = "",
    baseline: Decimal | None = None,
    target: Decimal | None = None,
) -> PilotObjective:
    _require_work(actor, pilot)
    _require_open(pilot)
    objective = PilotObjective(
        task_force_id=pilot.task_force_id,
        pilot_id=pilot.id,
        title=title,
        metric=metric,
        baseline=baseline,
        target=target,
    )
    db.session.add(objective)
    audit.record(actor, "objective_added", pilot, {"objective": [None, title]}, summary=pilot.name)
    return objective


def record_result(
    actor: User, objective: PilotObjective, actual: Decimal, measured_on: date | None = None
) -> None:
    """Record what an objective's metric measured, and when (today unless said)."""
    pilot = objective.pilot
    _require_work(actor, pilot)
    _require_open(pilot)
    measured_on = measured_on or clock.today()
    if measured_on > clock.today():
        raise ValidationFailed(_("A result cannot be measured in the future."), "measured_on")
    changes = audit.apply_changes(objective, {"actual": actual, "measured_on": measured_on})
    if changes:
        audit.record(
            actor,
            "result_recorded",
            pilot,
            {"objective": [objective.title, str(actual)]},
            summary=pilot.name,
        )


# --- review (复盘) and evidence --------------------------------------------------------------


def record_review(
    actor: User, pilot: Pilot, what_worked: str, what_did_not: str, lessons: str
) -> None:
    """Write the review. Only while the pilot is under review.

    :raise InvalidTransition: outside the review stage.
    :raise ValidationFailed: when nothing is written at all.
    """
    _require_work(actor, pilot)
    if pilot.status != REVIEWING:
        raise InvalidTransition(_("A review is written while the pilot is under review."))
    if not (what_worked.strip() or what_did_not.strip() or lessons.strip()):
        raise ValidationFailed(_("Write what worked, what did not, or the lessons."), "lessons")
    changes = audit.apply_changes(
        pilot,
        {"what_worked": what_worked, "what_did_not": what_did_not, "lessons": lessons},
    )
    pilot.reviewed_at = clock.now()
    pilot.reviewed_by_id = actor.id
    audit.record(actor, "reviewed", pilot, changes, summary=pilot.name)


def add_evidence(actor: User, pilot: Pilot, filename: str, content: bytes) -> PilotEvidence:
    """Store an evidence file of the review, under the issues' rules for files.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    _require_work(actor, pilot)
    stored = store_file(filename, content)
    with kept_only_if_saved(stored):
        evidence = PilotEvidence(
            task_force_id=pilot.task_force_id,
            pilot_id=pilot.id,
            filename=stored.name,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=actor.id,
        )
        db.session.add(evidence)
        audit.record(
            actor, "evidence_added", pilot, {"evidence": [None, stored.name]}, summary=pilot.name
        )
        db.session.flush()
    return evidence


def evidence_path(actor: User, evidence: PilotEvidence) -> Path:
    authorize(actor, "pilot.view", evidence.task_force_id)
    return attachment_dir() / evidence.stored_name


# --- the decision ----------------------------------------------------------------------------


def decide(
    actor: User,
    pilot: Pilot,
    outcome: str,
    rationale: str,
    planned_end: date | None = None,
    version: int | None = None,
) -> None:
    """Roll out, extend or stop a reviewed pilot; the decision is kept on the pilot.

    :raise PermissionDenied: unless a leader.
    :raise InvalidTransition: unless the pilot is under review and its review is written.
    :raise ValidationFailed: without a rationale, or an extension without a new end.
    """
    _require_manage(actor, pilot)
    check_version(pilot, version)
    if outcome not in OUTCOMES:
        raise ValidationFailed(_("Choose roll out, extend or stop."), "outcome")
    if pilot.status != REVIEWING:
        raise InvalidTransition(_("Only a pilot under review can be decided."))
    if not pilot.reviewed:
        raise InvalidTransition(_("Write the review before deciding."))
    if not rationale.strip():
        raise ValidationFailed(_("Give the reasons for the decision."), "rationale")
    if outcome == EXTEND and (planned_end is None or planned_end <= clock.today()):
        raise ValidationFailed(_("An extension needs a new end date ahead."), "planned_end")
    previous = pilot.status
    target = {ROLL_OUT: DECIDED, EXTEND: RUNNING, STOP: STOPPED}[outcome]
    values = {
        "status": target,
        "decision": outcome,
        "decision_rationale": rationale,
        "decided_at": clock.now(),
        "decided_by_id": actor.id,
    }
    if outcome == EXTEND:
        values["planned_end"] = planned_end
    if outcome == STOP:
        values["completed_at"] = clock.now()
    changes = audit.apply_changes(pilot, values)
    changes["status"] = [previous, target]
    audit.record(actor, "decided", pilot, changes, summary=f"{pilot.name}: {outcome}")
    _tell(
        pilot.owner_id if pilot.owner_id != actor.id else None,
        "pilot_decided",
        pilot,
        f"pilot-{pilot.id}-decided-{pilot.version}",
        lambda: _(
            "Decision on the pilot “%(name)s”: %(outcome)s.",
            name=pilot.name,
            outcome=_outcome_text(outcome),
        ),
    )
    db.session.flush()  # a save that lost the race is refused here, where its form shows it


def _outcome_text(outcome: str) -> str:
    from app.pilots.labels import OUTCOME_LABELS

    return str(OUTCOME_LABELS[outcome])


# --- rollout (复制推广) -------------------------------------------------------------------------


def plan_rollout(
    actor: User,
    pilot: Pilot,
    unit_ids: list[int],
    owner_id: int | None = None,
    planned_on: date | None = None,
) -> list[RolloutTask]:
    """Add target org units to the rollout plan (units already planned are skipped).

    :raise InvalidTransition: before the decision to roll out, or once finished.
    """
    _require_work(actor, pilot)
    if pilot.status not in (DECIDED, ROLLING_OUT) or pilot.decision != ROLL_OUT:
        raise InvalidTransition(_("A rollout is planned once the pilot is decided for rollout."))
    if not unit_ids:
        raise ValidationFailed(_("Choose at least one org unit."), "unit_ids")
    if owner_id is not None and owner_id not in active_member_ids(pilot.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids))))
    if len(units) != len(set(unit_ids)):
        raise ValidationFailed(_("Unknown org unit."), "unit_ids")
    planned = {t.org_unit_id for t in pilot.rollouts}
    today = clock.today()
    added = []
    for unit in units:
        if unit.id in planned:
            continue
        task = RolloutTask(
            task_force_id=pilot.task_force_id,
            pilot_id=pilot.id,
            org_unit_id=unit.id,
            owner_id=owner_id,
            planned_on=planned_on,
            status=NOT_STARTED,
        )
        pilot.rollouts.append(task)
        db.session.flush()
        db.session.add(_change(task, actor, today))
        added.append(task)
        if owner_id and owner_id != actor.id:
            _tell(
                owner_id,
                "rollout_assigned",
                pilot,
                f"rollout-{task.id}-owner-{owner_id}",
                lambda unit=unit: _(
                    "You own the rollout of “%(name)s” in %(unit)s.",
                    name=pilot.name,
                    unit=unit.name,
                ),
            )
    if added:
        audit.record(
            actor,
            "rollout_planned",
            pilot,
            {"units": [None, [t.org_unit_id for t in added]]},
            summary=pilot.name,
        )
    return added


def _change(task: RolloutTask, actor: User, day: date) -> RolloutChange:
    return RolloutChange(
        task_force_id=task.task_force_id,
        pilot_id=task.pilot_id,
        rollout_task_id=task.id,
        status=task.status,
        changed_on=day,
        changed_by_id=actor.id,
    )


@dataclass
class RolloutInput:
    status: str
    planned_on: date | None = None
    owner_id: int | None = None
    notes: str = ""


def update_rollout(
    actor: User, task: RolloutTask, data: RolloutInput, version: int | None = None
) -> dict:
    """Change a rollout task's status, date, owner or notes; its owner, the pilot's owner
    and the leaders may.

    :raise InvalidTransition: unless the pilot is decided for rollout or rolling out.
    """
    authorize(
        actor,
        "rollout.update",
        task,
        message=_("Only the rollout's owner, the pilot's owner or the leaders may change it."),
    )
    check_version(task, version)
    pilot = task.pilot
    if pilot.status not in (DECIDED, ROLLING_OUT):
        raise InvalidTransition(_("The rollout can be updated while the pilot is rolling out."))
    if data.status not in ROLLOUT_STATUSES:
        raise ValidationFailed(_("Unknown status."), "status")
    new_owner = data.owner_id is not None and data.owner_id != task.owner_id
    if new_owner and data.owner_id not in active_member_ids(task.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    today = clock.today()
    values = {
        "status": data.status,
        "planned_on": data.planned_on,
        "owner_id": data.owner_id,
        "notes": data.notes,
    }
    if data.status != task.status:
        values["done_on"] = today if data.status == DONE else None
    changes = audit.apply_changes(task, values)
    if "status" in changes:
        db.session.add(_change(task, actor, today))
    if changes:
        audit.record(
            actor,
            "rollout_updated",
            pilot,
            {f"{task.org_unit.name}.{k}": v for k, v in changes.items()},
            summary=pilot.name,
        )
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return changes


# --- coverage and lights ---------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    done: int
    applicable: int

    @property
    def ratio(self) -> float | None:
        """Done over applicable; ``None`` when no unit is applicable."""
        return self.done / self.applicable if self.applicable else None

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)


def coverage_of(statuses) -> Coverage:
    statuses = list(statuses)
    return Coverage(
        done=sum(1 for s in statuses if s == DONE),
        applicable=sum(1 for s in statuses if s != NOT_APPLICABLE),
    )


def coverage_by_pilot(task_force_id: int) -> dict[int, Coverage]:
    """Every pilot's coverage in one grouped query."""
    rows = db.session.execute(
        select(
            RolloutTask.pilot_id,
            func.count(RolloutTask.id).filter(RolloutTask.status == DONE),
            func.count(RolloutTask.id).filter(RolloutTask.status != NOT_APPLICABLE),
        )
        .where(RolloutTask.task_force_id == task_force_id)
        .group_by(RolloutTask.pilot_id)
    )
    return {pilot_id: Coverage(done, applicable) for pilot_id, done, applicable in rows}


def coverage_history(pilot: Pilot) -> list[tuple[date, Coverage]]:
    """Coverage after each day on which a rollout task changed status (one query)."""
    changes = db.session.execute(
        select(RolloutChange.changed_on, RolloutChange.rollout_task_id, RolloutChange.status)
        .where(RolloutChange.pilot_id == pilot.id)
        .order_by(RolloutChange.changed_on, RolloutChange.id)
    ).all()
    state: dict[int, str] = {}
    history: list[tuple[date, Coverage]] = []
    for day, task_id, status in changes:
        state[task_id] = status
        point = (day, coverage_of(state.values()))
        if history and history[-1][0] == day:
            history[-1] = point
        else:
            history.append(point)
    return history


def _late_rollout(rules: LightRules, until: date):
    return exists().where(
        RolloutTask.pilot_id == Pilot.id,
        RolloutTask.status.in_(OPEN_ROLLOUT),
        RolloutTask.planned_on.is_not(None),
        RolloutTask.planned_on < until,
    )


def light_expression(rules: LightRules):
    """A pilot's light in SQL, in the style of the issues' rule:

    red    — a rollout task past its planned date, or a running pilot past its planned end
    yellow — a rollout task or a running pilot's end within N days
    grey   — completed or stopped
    """
    running_end = and_(Pilot.status == RUNNING, Pilot.planned_end.is_not(None))
    red = or_(_late_rollout(rules, rules.today), and_(running_end, Pilot.planned_end < rules.today))
    soon = rules.due_soon_until + timedelta(days=1)
    yellow = or_(
        _late_rollout(rules, soon), and_(running_end, Pilot.planned_end <= rules.due_soon_until)
    )
    return case((Pilot.status.in_(FINISHED), GREY), (red, RED), (yellow, YELLOW), else_=GREEN)


def light_of(pilot: Pilot, rules: LightRules) -> str:
    """The same rule for one loaded pilot (its rollout tasks are read)."""
    if pilot.status in FINISHED:
        return GREY
    running_end = pilot.planned_end if pilot.status == RUNNING else None
    open_dates = [t.planned_on for t in pilot.rollouts if t.is_open and t.planned_on]
    if any(d < rules.today for d in open_dates) or (running_end and running_end < rules.today):
        return RED
    if any(d <= rules.due_soon_until for d in open_dates) or (
        running_end and running_end <= rules.due_soon_until
    ):
        return YELLOW
    return GREEN


def rollout_light(task: RolloutTask, rules: LightRules) -> str:
    if not task.is_open:
        return GREY
    if task.planned_on is not None and task.planned_on < rules.today:
        return RED
    if task.planned_on is not None and task.planned_on <= rules.due_soon_until:
        return YELLOW
    return GREEN


# --- reading ---------------------------------------------------------------------------------


def get_pilot(pilot_id) -> Pilot:
    return get_in_scope(db.session, Pilot, pilot_id)


def get_objective(objective_id) -> PilotObjective:
    return get_in_scope(db.session, PilotObjective, objective_id)


def get_evidence(evidence_id) -> PilotEvidence:
    return get_in_scope(db.session, PilotEvidence, evidence_id)


def get_rollout(rollout_id) -> RolloutTask:
    return get_in_scope(db.session, RolloutTask, rollout_id)


def load_pilot(actor: User, pilot_id) -> Pilot:
    """One pilot with everything its page shows, in a fixed number of queries.

    :raise NotFound: for an unknown id or a pilot of another task force.
    """
    try:
        ident = int(pilot_id)
    except (TypeError, ValueError):
        raise NotFound("pilot not found") from None
    pilot = (
        db.session.scalars(
            select(Pilot)
            .where(Pilot.id == ident)
            .options(
                joinedload(Pilot.owner),
                joinedload(Pilot.reviewed_by),
                joinedload(Pilot.decided_by),
                selectinload(Pilot.issues),
                # Few per pilot: joined into the first query rather than one more.
                joinedload(Pilot.units),
                selectinload(Pilot.objectives),
                selectinload(Pilot.rollouts).joinedload(RolloutTask.org_unit),
                selectinload(Pilot.rollouts).joinedload(RolloutTask.owner),
            )
        )
        .unique()
        .one_or_none()
    )
    if pilot is None:
        raise NotFound("pilot not found")
    authorize(actor, "pilot.view", pilot.task_force_id)
    return pilot


def evidence_of(pilot: Pilot) -> list[PilotEvidence]:
    return list(
        db.session.scalars(
            select(PilotEvidence)
            .where(PilotEvidence.pilot_id == pilot.id)
            .options(joinedload(PilotEvidence.uploaded_by))
            .order_by(PilotEvidence.created_at.desc(), PilotEvidence.id.desc())
        )
    )


@dataclass
class PilotRow:
    pilot: Pilot
    light: str
    coverage: Coverage | None


def list_pilots(actor: User, task_force_id: int, status: str | None = None) -> list[PilotRow]:
    """Every pilot with its light and coverage: three queries, whatever their number."""
    authorize(actor, "pilot.view", task_force_id)
    return pilot_rows(task_force_id, status)


def pilot_rows(task_force_id: int, status: str | None = None) -> list[PilotRow]:
    """``list_pilots`` without the permission check (the review pack)."""
    rules = LightRules.current()
    stmt = (
        select(Pilot, light_expression(rules))
        .where(Pilot.task_force_id == task_force_id)
        .options(joinedload(Pilot.owner), selectinload(Pilot.units))
        .order_by(Pilot.status.in_(FINISHED), Pilot.starts_on.desc(), Pilot.id.desc())
    )
    if status:
        stmt = stmt.where(Pilot.status == status)
    coverage = coverage_by_pilot(task_force_id)
    return [
        PilotRow(pilot, light, coverage.get(pilot.id))
        for pilot, light in db.session.execute(stmt).unique()
    ]


@dataclass
class Matrix:
    pilots: list[Pilot]
    units: list[OrgUnit]
    cells: dict[tuple[int, int], str]  # (pilot id, unit id) -> "pilot", a status, or "late"
    coverage: dict[int, Coverage]


def matrix(actor: User, task_force_id: int) -> Matrix:
    """Pilots × org units: where each pilot ran and how far its rollout got (4 queries)."""
    authorize(actor, "pilot.view", task_force_id)
    today = clock.today()
    pilots = list(
        db.session.scalars(
            select(Pilot)
            .where(Pilot.task_force_id == task_force_id, Pilot.status != STOPPED)
            .order_by(Pilot.starts_on, Pilot.id)
        )
    )
    cells: dict[tuple[int, int], str] = {}
    for pilot_id, unit_id in db.session.execute(
        select(pilot_unit.c.pilot_id, pilot_unit.c.org_unit_id)
        .join(Pilot, Pilot.id == pilot_unit.c.pilot_id)
        .where(Pilot.task_force_id == task_force_id)
    ):
        cells[(pilot_id, unit_id)] = "pilot"
    for task in db.session.scalars(
        select(RolloutTask).where(RolloutTask.task_force_id == task_force_id)
    ):
        cells[(task.pilot_id, task.org_unit_id)] = "late" if task.late_on(today) else task.status
    unit_ids = {unit_id for _pilot, unit_id in cells}
    units = (
        list(
            db.session.scalars(
                select(OrgUnit)
                .where(OrgUnit.id.in_(unit_ids))
                .order_by(OrgUnit.kind, OrgUnit.sort_order, OrgUnit.id)
            )
        )
        if unit_ids
        else []
    )
    return Matrix(pilots, units, cells, coverage_by_pilot(task_force_id))


def open_rollout_tasks(user_id: int, task_force_ids: list[int]) -> list[RolloutTask]:
    """A person's open rollout tasks in ``task_force_ids``, for "My items" (one query)."""
    with unscoped():  # across the person's task forces: the query names them
        return list(
            db.session.scalars(
                select(RolloutTask)
                .join(Pilot, Pilot.id == RolloutTask.pilot_id)
                .where(
                    RolloutTask.task_force_id.in_(list(task_force_ids)),
                    RolloutTask.owner_id == user_id,
                    RolloutTask.status.in_(OPEN_ROLLOUT),
                    Pilot.status.in_((DECIDED, ROLLING_OUT)),
                )
                .options(joinedload(RolloutTask.pilot), joinedload(RolloutTask.org_unit))
                .order_by(RolloutTask.planned_on.is_(None), RolloutTask.planned_on, RolloutTask.id)
            )
        )


def pilots_for_issue(issue: Issue) -> list[Pilot]:
    return list(
        db.session.scalars(
            select(Pilot)
            .join(pilot_issue, pilot_issue.c.pilot_id == Pilot.id)
            .where(pilot_issue.c.issue_id == issue.id)
            .order_by(Pilot.id)
        )
    )


def pilots_under_review(task_force_id: int) -> list[Pilot]:
    return list(
        db.session.scalars(
            select(Pilot)
            .where(Pilot.task_force_id == task_force_id, Pilot.status == REVIEWING)
            .options(joinedload(Pilot.owner))
            .order_by(Pilot.id)
        )
    )


def rollout_dates(
    user_id: int | None, task_force_id: int, start: date, end: date
) -> list[RolloutTask]:
    stmt = (
        select(RolloutTask)
        .join(Pilot, Pilot.id == RolloutTask.pilot_id)
        .where(
            RolloutTask.task_force_id == task_force_id,
            RolloutTask.planned_on.is_not(None),
            RolloutTask.planned_on >= start,
            RolloutTask.planned_on <= end,
            Pilot.status.in_((DECIDED, ROLLING_OUT, COMPLETED)),
        )
        .options(joinedload(RolloutTask.pilot), joinedload(RolloutTask.org_unit))
        .order_by(RolloutTask.planned_on, RolloutTask.id)
    )
    if user_id is not None:
        stmt = stmt.where(RolloutTask.owner_id == user_id)
    return list(db.session.scalars(stmt))
