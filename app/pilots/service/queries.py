"""Reading pilots: one with its page, the list, the matrix, and what other pages show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock, hooks
from app.core.errors import NotFound
from app.core.permissions import authorize
from app.core.scope import get_in_scope, unscoped
from app.extensions import db
from app.issues.lights import LightRules
from app.issues.models import Issue
from app.people.models import OrgUnit, User
from app.pilots.models import (
    COMPLETED,
    DECIDED,
    FINISHED,
    OPEN_ROLLOUT,
    REVIEWING,
    ROLLING_OUT,
    STOPPED,
    Pilot,
    PilotEvidence,
    PilotObjective,
    RolloutTask,
    pilot_issue,
    pilot_unit,
)
from app.pilots.service.figures import Coverage, coverage_by_pilot, light_expression


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
    user_id: int | None, task_force_id: int, start: date, end: date, per_day: int | None = None
):
    """Planned rollouts between ``start`` and ``end`` of decided pilots, as plain rows (id,
    pilot_id, pilot, unit, planned_on, status) by day; with ``per_day``, each day's first
    (``hooks.first_rows_per_day``). One query."""
    stmt = (
        select(
            RolloutTask.id,
            RolloutTask.pilot_id,
            Pilot.name.label("pilot"),
            OrgUnit.name.label("unit"),
            RolloutTask.planned_on,
            RolloutTask.status,
        )
        .join(Pilot, Pilot.id == RolloutTask.pilot_id)
        .join(OrgUnit, OrgUnit.id == RolloutTask.org_unit_id)
        .where(
            RolloutTask.task_force_id == task_force_id,
            RolloutTask.planned_on.is_not(None),
            RolloutTask.planned_on >= start,
            RolloutTask.planned_on <= end,
            Pilot.status.in_((DECIDED, ROLLING_OUT, COMPLETED)),
        )
    )
    if user_id is not None:
        stmt = stmt.where(RolloutTask.owner_id == user_id)
    stmt = hooks.first_rows_per_day(stmt, RolloutTask.planned_on, RolloutTask.id, per_day)
    return db.session.execute(stmt.order_by("planned_on", "id")).all()
