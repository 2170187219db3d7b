"""The rollout (复制推广): target org units planned after a decision to roll out, and
their progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.permissions import authorize
from app.core.service import check_version
from app.extensions import db
from app.people.models import OrgUnit, User
from app.people.roster import active_member_ids
from app.pilots.models import (
    DECIDED,
    DONE,
    NOT_STARTED,
    ROLL_OUT,
    ROLLING_OUT,
    ROLLOUT_STATUSES,
    Pilot,
    RolloutChange,
    RolloutTask,
)
from app.pilots.service.lifecycle import _require_work, _tell


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
