"""Objectives with their measured results, and the review (复盘) with its evidence files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import BinaryIO

from flask_babel import gettext as _

from app.core import audit, clock
from app.core.errors import InvalidTransition, ValidationFailed
from app.core.files import kept_only_if_saved, store_file
from app.core.permissions import authorize
from app.extensions import db
from app.people.models import User
from app.pilots.models import REVIEWING, Pilot, PilotEvidence, PilotObjective
from app.pilots.service.lifecycle import _require_open, _require_work


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


def add_evidence(
    actor: User, pilot: Pilot, filename: str, content: bytes | BinaryIO
) -> PilotEvidence:
    """Store an evidence file of the review, under the issues' rules for files.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    _require_work(actor, pilot)
    stored = store_file(filename, content)
    with kept_only_if_saved(stored):
        evidence = PilotEvidence(
            task_force_id=pilot.task_force_id,
            pilot_id=pilot.id,
            **stored.columns(actor.id),
        )
        db.session.add(evidence)
        audit.record(
            actor, "evidence_added", pilot, {"evidence": [None, stored.name]}, summary=pilot.name
        )
        db.session.flush()
    return evidence


def readable_evidence(actor: User, evidence: PilotEvidence) -> PilotEvidence:
    """The evidence file, to download (``core.web.send_stored_file``).

    :raise PermissionDenied: unless ``actor`` may read the pilot.
    """
    authorize(actor, "pilot.view", evidence.task_force_id)
    return evidence
