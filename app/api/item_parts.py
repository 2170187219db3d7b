"""``/api/v1/items/<id>/progress|milestones|subtasks``, ``/api/v1/milestones/<id>``,
``/api/v1/subtasks/<id>``: through the item page's own services."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api.items import load_item
from app.api.paging import Paging, envelope, paged
from app.api.part_schemas import (
    MilestoneCreateSchema,
    MilestoneListSchema,
    MilestoneSchema,
    MilestoneUpdateSchema,
    ProgressCreateSchema,
    ProgressPageSchema,
    ProgressSchema,
    SubtaskCreateSchema,
    SubtaskListSchema,
    SubtaskSchema,
    SubtaskUpdateSchema,
)
from app.api.schemas import PageArgsSchema
from app.api.spec import api_blueprint
from app.core.web import requires
from app.issues import service
from app.issues.models import Issue, Milestone, ProgressUpdate, Subtask

bp = api_blueprint(
    "api_item_parts",
    __name__,
    "What hangs off an item: progress updates (进展), milestones (落地排期), subtasks.",
)


@bp.route("/items/<int:item_id>/progress", methods=["GET"])
@requires("issue.view", load=load_item)
@bp.arguments(PageArgsSchema, location="query", as_kwargs=True)
@bp.response(200, ProgressPageSchema)
def list_progress(issue: Issue, item_id: int, **args):
    """The item's progress updates, newest first."""
    paging = Paging.of(args)
    stmt = (
        select(ProgressUpdate)
        .where(ProgressUpdate.issue_id == issue.id)
        .options(joinedload(ProgressUpdate.author))
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
    )
    rows, total, page = paged(stmt, paging)
    body, headers = envelope(rows, total, page, paging.per_page)
    return body, 200, headers


@bp.route("/items/<int:item_id>/progress", methods=["POST"])
@requires("issue.work", load=load_item)
@bp.arguments(ProgressCreateSchema)
@bp.response(201, ProgressSchema)
def add_progress(issue: Issue, data: dict, item_id: int):
    """Record progress (a note, and the percentage done if it changed)."""
    return service.add_progress(current_user, issue, data["note"], data["percent"]), 201


@bp.route("/items/<int:item_id>/milestones", methods=["GET"])
@requires("issue.view", load=load_item)
@bp.response(200, MilestoneListSchema)
def list_milestones(issue: Issue, item_id: int):
    """The item's landing schedule, by due date."""
    return {"items": list(issue.milestones)}


@bp.route("/items/<int:item_id>/milestones", methods=["POST"])
@requires("issue.work", load=load_item)
@bp.arguments(MilestoneCreateSchema)
@bp.response(201, MilestoneSchema)
def add_milestone(issue: Issue, data: dict, item_id: int):
    milestone = service.add_milestone(
        current_user, issue, data["title"], data["due_on"], data["starts_on"]
    )
    return milestone, 201


@bp.route("/milestones/<int:milestone_id>", methods=["PATCH"])
@requires("issue.work")
@bp.arguments(MilestoneUpdateSchema)
@bp.response(200, MilestoneSchema)
def update_milestone(data: dict, milestone_id: int):
    """Mark a milestone done or not, or move its due date (both in one call is fine)."""
    milestone: Milestone = service.get_milestone(milestone_id)
    if "due_on" in data:
        service.reschedule_milestone(current_user, milestone, data["due_on"])
    if "done" in data:
        service.set_milestone_done(current_user, milestone, data["done"])
    return milestone


@bp.route("/items/<int:item_id>/subtasks", methods=["GET"])
@requires("issue.view", load=load_item)
@bp.response(200, SubtaskListSchema)
def list_subtasks(issue: Issue, item_id: int):
    return {"items": list(issue.subtasks)}


@bp.route("/items/<int:item_id>/subtasks", methods=["POST"])
@requires("issue.work", load=load_item)
@bp.arguments(SubtaskCreateSchema)
@bp.response(201, SubtaskSchema)
def add_subtask(issue: Issue, data: dict, item_id: int):
    subtask = service.add_subtask(
        current_user, issue, data["title"], data["owner_id"], data["deadline"]
    )
    return subtask, 201


@bp.route("/subtasks/<int:subtask_id>", methods=["PATCH"])
@requires("issue.work")
@bp.arguments(SubtaskUpdateSchema)
@bp.response(200, SubtaskSchema)
def update_subtask(data: dict, subtask_id: int):
    """Tick a subtask done, or not: its owner, or whoever works on the item."""
    subtask: Subtask = service.get_subtask(subtask_id)
    service.set_subtask_done(current_user, subtask, data["done"])
    return subtask
