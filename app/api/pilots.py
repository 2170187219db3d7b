"""``/api/v1/pilots`` and ``/api/v1/rollout-tasks``: pilots and their rollout, through the
pilot pages' own services (``pilots.service``) and permission table."""

from __future__ import annotations

from flask_login import current_user

from app.api.paging import Paging, envelope
from app.api.pilot_schemas import (
    PilotArgsSchema,
    PilotDetailSchema,
    PilotPageSchema,
    RolloutTaskSchema,
    RolloutUpdateSchema,
)
from app.api.spec import api_blueprint
from app.api.versions import etag, expected_version
from app.core.paging import within
from app.core.web import current_task_force, requires
from app.issues.lights import LightRules
from app.pilots import service
from app.pilots.models import Pilot, RolloutTask

bp = api_blueprint(
    "api_pilots", __name__, "Pilots (试点) and the rollout of their measures (复制推广)."
)


def load_pilot(pilot_id: int) -> Pilot:
    """The pilot of the URL in the task force of the call (404 for any other)."""
    return service.load_pilot(current_user, pilot_id)


def load_rollout(rollout_id: int) -> RolloutTask:
    return service.get_rollout(rollout_id)


def _task(task: RolloutTask, rules: LightRules) -> RolloutTask:
    task.api_light = service.rollout_light(task, rules)
    return task


def _detail(pilot: Pilot) -> Pilot:
    rules = LightRules.current()
    pilot.api_light = service.light_of(pilot, rules)
    pilot.api_coverage = (
        service.coverage_of(t.status for t in pilot.rollouts) if pilot.rollouts else None
    )
    for task in pilot.rollouts:
        _task(task, rules)
    return pilot


@bp.route("/pilots", methods=["GET"])
@requires("pilot.view")
@bp.arguments(PilotArgsSchema, location="query", as_kwargs=True)
@bp.response(200, PilotPageSchema)
def list_pilots(**args):
    """The task force's pilots, running ones first, each with its light and coverage."""
    paging = Paging.of(args)
    found = service.list_pilots(current_user, current_task_force().id, args.get("status"))
    page, _pages = within(paging.page, len(found), paging.per_page)
    rows = []
    for row in found[(page - 1) * paging.per_page : page * paging.per_page]:
        row.pilot.api_light, row.pilot.api_coverage = row.light, row.coverage
        rows.append(row.pilot)
    body, headers = envelope(rows, len(found), page, paging.per_page)
    return body, 200, headers


@bp.route("/pilots/<int:pilot_id>", methods=["GET"])
@requires("pilot.view", load=load_pilot)
@bp.response(200, PilotDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_pilot(pilot: Pilot, pilot_id: int):
    """One pilot with its objectives, its review, its decision and its rollout tasks."""
    return _detail(pilot), 200, etag(pilot)


@bp.route("/rollout-tasks/<int:rollout_id>", methods=["GET"])
@requires("pilot.view", load=load_rollout)
@bp.response(200, RolloutTaskSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_rollout_task(task: RolloutTask, rollout_id: int):
    return _task(task, LightRules.current()), 200, etag(task)


@bp.route("/rollout-tasks/<int:rollout_id>", methods=["PATCH"])
@requires("rollout.update", load=load_rollout)
@bp.arguments(RolloutUpdateSchema)
@bp.response(200, RolloutTaskSchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_rollout_task(task: RolloutTask, data: dict, rollout_id: int):
    """Change a rollout task's status, planned day, owner or notes: its owner, the pilot's
    owner or the leaders, while the pilot is rolling out."""
    version = expected_version(task, data.pop("version", None))
    values = {
        "status": task.status,
        "planned_on": task.planned_on,
        "owner_id": task.owner_id,
        "notes": task.notes,
    }
    values.update(data)
    values["notes"] = (values["notes"] or "").strip()
    service.update_rollout(current_user, task, service.RolloutInput(**values), version)
    return _task(task, LightRules.current()), 200, etag(task)
