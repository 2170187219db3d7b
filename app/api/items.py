"""``/api/v1/items``: the problem list through the pages' own services and permission
table (``issues.service``, ``core/permissions.py``)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.api.item_schemas import (
    ItemCreateSchema,
    ItemDetailSchema,
    ItemFilterSchema,
    ItemPageSchema,
    ItemSchema,
    ItemUpdateSchema,
    StatusChangeSchema,
)
from app.api.paging import Paging, envelope
from app.api.spec import api_blueprint
from app.api.versions import etag, expected_version
from app.core.web import current_task_force, requires
from app.issues import service
from app.issues.lights import LightRules, light_of
from app.issues.models import Issue

bp = api_blueprint("api_items", __name__, "Items of the problem list (问题清单).")


def load_item(item_id: int) -> Issue:
    """The item of the URL in the task force of the call (404 for any other)."""
    return service.load_issue(current_user, item_id)


def _detail(issue: Issue) -> Issue:
    issue.api_light = light_of(issue, LightRules.current())
    issue.api_next_statuses = service.allowed_transitions(current_user, issue)
    return issue


def _filter(args: dict, paging: Paging) -> service.IssueFilter:
    return service.IssueFilter(
        category_id=args.get("category_id"),
        owner_id=args.get("owner_id"),
        org_unit_id=args.get("org_unit_id"),
        statuses=list(args.get("status") or []),
        priorities=list(args.get("priority") or []),
        light=args.get("light"),
        major=args.get("major"),
        deadline_from=args.get("deadline_from"),
        deadline_to=args.get("deadline_to"),
        unacknowledged=args["unacknowledged"],
        open_only=args["open"],
        path_defined=args.get("path_defined"),
        delayed=args.get("delayed"),
        q=args["q"].strip(),
        sort=args["sort"],
        page=paging.page,
    )


@bp.route("/items", methods=["GET"])
@requires("issue.view")
@bp.arguments(ItemFilterSchema, location="query", as_kwargs=True)
@bp.response(200, ItemPageSchema)
def list_items(**args):
    """The problem list, filtered as on its page.

    Repeat ``status`` and ``priority`` for several (``?status=new&status=planning``)."""
    paging = Paging.of(args)
    found = service.list_issues(
        current_user, current_task_force().id, _filter(args, paging), per_page=paging.per_page
    )
    rows = []
    for issue, light in found.rows:
        issue.api_light = light
        rows.append(issue)
    body, headers = envelope(rows, found.total, found.page, paging.per_page)
    return body, 200, headers


@bp.route("/items", methods=["POST"])
@requires("issue.create")
@bp.arguments(ItemCreateSchema)
@bp.response(201, ItemDetailSchema, headers={"Location": {"schema": {"type": "string"}}})
def create_item(data: dict):
    """Create an item (待分析). Only the leaders assign it to someone else."""
    issue = service.create_issue(current_user, current_task_force().id, service.IssueInput(**data))
    issue = _detail(load_item(issue.id))
    headers = {"Location": url_for("api_items.read_item", item_id=issue.id), **etag(issue)}
    return issue, 201, headers


@bp.route("/items/<int:item_id>", methods=["GET"])
@requires("issue.view", load=load_item)
@bp.response(200, ItemDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_item(issue: Issue, item_id: int):
    """One item, with its ``ETag`` (its version) for ``If-Match``."""
    return _detail(issue), 200, etag(issue)


def _as_input(issue: Issue, changes: dict) -> service.IssueInput:
    values = {
        "title": issue.title,
        "category_id": issue.category_id,
        "description": issue.description,
        "solution": issue.solution,
        "owner_id": issue.owner_id,
        "collaborator_ids": [person.id for person in issue.collaborators],
        "org_unit_id": issue.org_unit_id,
        "deadline": issue.deadline,
        "priority": issue.priority,
        "major": issue.major,
        "source": issue.source,
    }
    values.update(changes)
    return service.IssueInput(**values)


@bp.route("/items/<int:item_id>", methods=["PATCH"])
@requires("issue.work", load=load_item)
@bp.arguments(ItemUpdateSchema)
@bp.response(200, ItemDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_item(issue: Issue, data: dict, item_id: int):
    """Change some fields. A stale ``version`` answers 409; a stale ``If-Match``, 412."""
    version = expected_version(issue, data.pop("version", None))
    service.update_issue(current_user, issue, _as_input(issue, data), version)
    return _detail(issue), 200, etag(issue)


@bp.route("/items/<int:item_id>/status", methods=["POST"])
@requires("issue.work", load=load_item)
@bp.arguments(StatusChangeSchema)
@bp.response(200, ItemDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def change_status(issue: Issue, data: dict, item_id: int):
    """Move the item through the workflow, as its page's buttons do.

    Closing with milestones or subtasks still open answers 409
    ``urn:gongjian:problem:confirmation-required`` with ``details``; send ``confirm``."""
    version = expected_version(issue, data.get("version"))
    service.change_status(
        current_user,
        issue,
        data["status"],
        reason=data["reason"],
        verification_note=data["verification_note"],
        version=version,
        confirmed=data["confirm"],
    )
    return _detail(issue), 200, etag(issue)


__all__ = ["bp", "ItemSchema", "load_item"]
