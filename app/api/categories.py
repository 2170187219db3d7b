"""``/api/v1/categories``: the problem framework (问题框架), through the category pages'
own services."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from app.api.paging import Paging, envelope
from app.api.part_schemas import (
    CategoryArgsSchema,
    CategoryCreateSchema,
    CategoryPageSchema,
    CategorySchema,
    CategoryUpdateSchema,
)
from app.api.spec import api_blueprint
from app.api.versions import etag, expected_version
from app.core.paging import within
from app.core.service import check_version
from app.core.web import current_task_force, requires
from app.extensions import db
from app.issues import service
from app.issues.models import Category

bp = api_blueprint("api_categories", __name__, "The problem framework's categories (维度).")


@bp.route("/categories", methods=["GET"])
@requires("issue.view")
@bp.arguments(CategoryArgsSchema, location="query", as_kwargs=True)
@bp.response(200, CategoryPageSchema)
def list_categories(**args):
    """Every category in tree order, with the open and closed items of its subtree."""
    paging = Paging.of(args)
    tree = service.category_tree(current_task_force().id, include_archived=args["archived"])
    page, _pages = within(paging.page, len(tree), paging.per_page)
    rows = []
    for row in tree[(page - 1) * paging.per_page : page * paging.per_page]:
        row.category.api_open, row.category.api_closed = row.open, row.closed
        rows.append(row.category)
    body, headers = envelope(rows, len(tree), page, paging.per_page)
    return body, 200, headers


def load_category(category_id: int) -> Category:
    return service.get_category(category_id)


@bp.route("/categories/<int:category_id>", methods=["GET"])
@requires("issue.view", load=load_category)
@bp.response(200, CategorySchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_category(category: Category, category_id: int):
    return category, 200, etag(category)


@bp.route("/categories", methods=["POST"])
@requires("category.manage")
@bp.arguments(CategoryCreateSchema)
@bp.response(201, CategorySchema, headers={"Location": {"schema": {"type": "string"}}})
def create_category(data: dict):
    """A dimension (no ``parent_id``; its ``code_prefix`` numbers its items) or a
    sub-dimension."""
    category = service.create_category(
        current_user, current_task_force().id, service.CategoryInput(**data)
    )
    location = url_for("api_categories.read_category", category_id=category.id)
    return category, 201, {"Location": location, **etag(category)}


@bp.route("/categories/<int:category_id>", methods=["PATCH"])
@requires("category.manage", load=load_category)
@bp.arguments(CategoryUpdateSchema)
@bp.response(200, CategorySchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_category(category: Category, data: dict, category_id: int):
    """Rename, re-prioritise, move (with its subtree), archive or restore."""
    version = expected_version(category, data.pop("version", None))
    archived = data.pop("archived", None)
    if data:
        values = {
            "name": category.name,
            "parent_id": category.parent_id,
            "code_prefix": category.code_prefix,
            "action_priority": category.action_priority,
            "description": category.description,
        }
        values.update(data)
        service.update_category(current_user, category, service.CategoryInput(**values), version)
    else:
        check_version(category, version)
    if archived is not None and archived != category.archived:
        service.set_category_archived(current_user, category, archived)
    db.session.flush()  # the version the ETag names
    return category, 200, etag(category)
