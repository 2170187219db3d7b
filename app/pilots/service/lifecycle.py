"""A pilot's lifecycle: creating and editing it, its stages, the decision after its review."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize, can
from app.core.service import check_version
from app.extensions import db
from app.issues.models import Issue
from app.issues.service import issues_of
from app.people.models import OrgUnit, User
from app.people.roster import active_member_ids
from app.pilots.models import (
    COMPLETED,
    DECIDED,
    EXTEND,
    FINISHED,
    NOT_APPLICABLE,
    OUTCOMES,
    PLANNED,
    REVIEWING,
    ROLL_OUT,
    ROLLING_OUT,
    RUNNING,
    STOP,
    STOPPED,
    Pilot,
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
