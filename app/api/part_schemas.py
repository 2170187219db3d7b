"""What hangs off an item on the API: progress updates, milestones, subtasks; and the
categories of the problem framework."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of

_TITLE = validate.Length(min=1, max=200)
_PREFIX = validate.And(
    validate.Length(max=10), validate.Regexp(r"^[A-Za-z]*$", error="Letters only, e.g. KH.")
)


class ProgressSchema(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True, attribute="issue_id")
    author = fields.Nested(PersonSchema, allow_none=True, required=True)
    note = fields.String(required=True)
    percent = fields.Integer(allow_none=True, required=True)
    created_at = LocalDateTime(required=True)


ProgressPageSchema = page_of(ProgressSchema, "ProgressPage")


class ProgressCreateSchema(Strict):
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    percent = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(0, 100))


class MilestoneSchema(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True, attribute="issue_id")
    title = fields.String(required=True)
    starts_on = fields.Date(allow_none=True, required=True)
    due_on = fields.Date(required=True)
    done_on = fields.Date(allow_none=True, required=True)
    done = fields.Boolean(required=True)


class MilestoneListSchema(Schema):
    items = fields.List(fields.Nested(MilestoneSchema), required=True)


class MilestoneCreateSchema(Strict):
    title = fields.String(required=True, validate=_TITLE)
    due_on = fields.Date(required=True)
    starts_on = fields.Date(allow_none=True, load_default=None)


class MilestoneUpdateSchema(Strict):
    done = fields.Boolean(metadata={"description": "Mark done (today) or not done."})
    due_on = fields.Date(metadata={"description": "Move the due date."})


class SubtaskSchema(Schema):
    id = fields.Integer(required=True)
    item_id = fields.Integer(required=True, attribute="issue_id")
    title = fields.String(required=True)
    owner = fields.Nested(PersonSchema, allow_none=True, required=True)
    deadline = fields.Date(allow_none=True, required=True)
    done = fields.Boolean(required=True)
    done_at = LocalDateTime(allow_none=True, required=True)


class SubtaskListSchema(Schema):
    items = fields.List(fields.Nested(SubtaskSchema), required=True)


class SubtaskCreateSchema(Strict):
    title = fields.String(required=True, validate=_TITLE)
    owner_id = fields.Integer(allow_none=True, load_default=None)
    deadline = fields.Date(allow_none=True, load_default=None)


class SubtaskUpdateSchema(Strict):
    done = fields.Boolean(required=True)


class CategorySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    depth = fields.Integer(required=True)
    code_prefix = fields.String(allow_none=True, required=True)
    action_priority = fields.Integer(required=True)
    archived = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    open_items = fields.Integer(
        attribute="api_open", metadata={"description": "Open items in its subtree (lists)."}
    )
    closed_items = fields.Integer(attribute="api_closed")


CategoryPageSchema = page_of(CategorySchema, "CategoryPage")


class CategoryArgsSchema(PageArgsSchema):
    archived = fields.Boolean(load_default=False, metadata={"description": "Include archived."})


class CategoryCreateSchema(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    parent_id = fields.Integer(allow_none=True, load_default=None)
    code_prefix = fields.String(allow_none=True, load_default=None, validate=_PREFIX)
    action_priority = fields.Integer(load_default=2, validate=validate.Range(1, 3))
    description = fields.String(load_default="")


class CategoryUpdateSchema(Strict):
    version = fields.Integer(metadata={"description": "Or send If-Match with the ETag."})
    name = fields.String(validate=validate.Length(min=1, max=100))
    parent_id = fields.Integer(allow_none=True)
    code_prefix = fields.String(allow_none=True, validate=_PREFIX)
    action_priority = fields.Integer(validate=validate.Range(1, 3))
    description = fields.String()
    archived = fields.Boolean(metadata={"description": "Archive (no open items) or restore."})
