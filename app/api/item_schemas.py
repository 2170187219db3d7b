"""The shapes of items on the API: what is read, what is sent to create, edit and move."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of
from app.issues.models import LIGHTS, PRIORITIES, SOURCES, STATUSES
from app.issues.service import SORT_KEYS


class CategoryRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class ItemSchema(Schema):
    id = fields.Integer(required=True)
    task_force_id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    solution = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    priority = fields.String(required=True, metadata={"enum": list(PRIORITIES)})
    major = fields.Boolean(required=True)
    supervised = fields.Boolean(required=True)
    source = fields.String(required=True, metadata={"enum": list(SOURCES)})
    percent = fields.Integer(required=True)
    light = fields.String(
        required=True,
        attribute="api_light",
        metadata={"enum": list(LIGHTS), "description": "The traffic light (红黄绿灯)."},
    )
    deadline = fields.Date(allow_none=True, required=True)
    category = fields.Nested(CategoryRefSchema, required=True)
    owner = fields.Nested(PersonSchema, allow_none=True, required=True)
    collaborators = fields.List(fields.Nested(PersonSchema), required=True)
    org_unit_id = fields.Integer(allow_none=True, required=True)
    assigned_at = LocalDateTime(allow_none=True, required=True)
    acknowledged_at = LocalDateTime(allow_none=True, required=True)
    closed_at = LocalDateTime(allow_none=True, required=True)
    last_progress_at = LocalDateTime(allow_none=True, required=True)
    status_reason = fields.String(required=True)
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "Send it back with an edit (or If-Match)."}
    )


class ItemDetailSchema(ItemSchema):
    next_statuses = fields.List(
        fields.String(metadata={"enum": list(STATUSES)}),
        required=True,
        attribute="api_next_statuses",
        metadata={"description": "The statuses the caller may move the item to now."},
    )


ItemPageSchema = page_of(ItemSchema, "ItemPage")


class ItemFilterSchema(PageArgsSchema):
    """The problem list's filters."""

    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    priority = fields.List(fields.String(validate=validate.OneOf(PRIORITIES)))
    owner_id = fields.Integer()
    category_id = fields.Integer(metadata={"description": "The category and its subtree."})
    org_unit_id = fields.Integer()
    light = fields.String(validate=validate.OneOf(LIGHTS))
    major = fields.Boolean()
    deadline_from = fields.Date()
    deadline_to = fields.Date()
    unacknowledged = fields.Boolean(load_default=False)
    open = fields.Boolean(load_default=False, metadata={"description": "Open items only."})
    path_defined = fields.Boolean(metadata={"description": "已明确路径: solution and schedule."})
    delayed = fields.Integer(
        validate=validate.Range(1, 2),
        metadata={"description": "Extended at least this many times (1 or 2)."},
    )
    q = fields.String(load_default="", metadata={"description": "Words of code, title, text."})
    sort = fields.String(load_default="code", validate=validate.OneOf(SORT_KEYS))


_TITLE = validate.Length(min=1, max=200)


class ItemCreateSchema(Strict):
    title = fields.String(required=True, validate=_TITLE)
    category_id = fields.Integer(required=True)
    description = fields.String(load_default="")
    solution = fields.String(load_default="")
    owner_id = fields.Integer(allow_none=True, load_default=None)
    collaborator_ids = fields.List(fields.Integer(), load_default=list)
    org_unit_id = fields.Integer(allow_none=True, load_default=None)
    deadline = fields.Date(allow_none=True, load_default=None)
    priority = fields.String(load_default="medium", validate=validate.OneOf(PRIORITIES))
    major = fields.Boolean(load_default=False)
    source = fields.String(load_default="research", validate=validate.OneOf(SOURCES))


class ItemUpdateSchema(Strict):
    """The fields to change (the others stay) and the version read."""

    version = fields.Integer(metadata={"description": "Or send If-Match with the ETag."})
    title = fields.String(validate=_TITLE)
    category_id = fields.Integer()
    description = fields.String()
    solution = fields.String()
    owner_id = fields.Integer(allow_none=True)
    collaborator_ids = fields.List(fields.Integer())
    org_unit_id = fields.Integer(allow_none=True)
    deadline = fields.Date(allow_none=True)
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    major = fields.Boolean()
    source = fields.String(validate=validate.OneOf(SOURCES))


class StatusChangeSchema(Strict):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(
        load_default="", metadata={"description": "Needed to block, drop, reopen, send back."}
    )
    verification_note = fields.String(load_default="", metadata={"description": "For closing."})
    confirm = fields.Boolean(
        load_default=False,
        metadata={"description": "Close although milestones or subtasks are open."},
    )
    version = fields.Integer()
