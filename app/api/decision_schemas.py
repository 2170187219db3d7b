"""The shapes of escalations (提级) and their decisions on the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of
from app.decisions.models import ESCALATION_STATUSES, KINDS, LEVELS
from app.decisions.service import MAX_OPTIONS
from app.issues.models import STATUSES

_TEXT = validate.Length(max=5000)


class ItemRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})


class DecisionSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    chosen_option = fields.String(required=True)
    rationale = fields.String(required=True)
    decided_by = fields.Nested(PersonSchema, required=True)
    decided_at = LocalDateTime(required=True)
    meeting_id = fields.Integer(allow_none=True, required=True)
    unblocked = fields.Boolean(required=True, metadata={"description": "It unblocked the item."})
    new_deadline = fields.Date(allow_none=True, required=True)
    new_owner_id = fields.Integer(allow_none=True, required=True)


class EscalationSchema(Schema):
    id = fields.Integer(required=True)
    task_force_id = fields.Integer(required=True)
    item = fields.Nested(ItemRefSchema, required=True, attribute="issue")
    kind = fields.String(
        required=True,
        metadata={"enum": list(KINDS), "description": "提级沟通, 提级决策 or 提级督导."},
    )
    level = fields.String(
        required=True,
        metadata={"enum": list(LEVELS), "description": "Who decides: the level it went up to."},
    )
    question = fields.String(required=True)
    options = fields.List(fields.String(), required=True)
    recommendation = fields.String(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": list(ESCALATION_STATUSES)})
    raised_by = fields.Nested(PersonSchema, required=True)
    raised_at = LocalDateTime(required=True)
    scheduled_for = fields.Date(
        allow_none=True, required=True, metadata={"description": "The meeting day it is put on."}
    )
    overdue = fields.Boolean(
        required=True,
        attribute="api_overdue",
        metadata={"description": "Pending past its due date, or decided after it."},
    )
    days_to_decision = fields.Float(allow_none=True, required=True, attribute="api_days")
    decision = fields.Nested(
        DecisionSchema, allow_none=True, required=True, attribute="api_decision"
    )
    version = fields.Integer(required=True)


class EscalationDetailSchema(EscalationSchema):
    may_decide = fields.Boolean(
        required=True,
        attribute="api_may_decide",
        metadata={"description": "Whether the caller may decide it now."},
    )


EscalationPageSchema = page_of(EscalationSchema, "EscalationPage")


class RegisterArgsSchema(PageArgsSchema):
    """The decision register's filters."""

    status = fields.String(validate=validate.OneOf(ESCALATION_STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))
    level = fields.String(validate=validate.OneOf(LEVELS))
    raised_from = fields.Date()
    raised_to = fields.Date()
    q = fields.String(
        load_default="", metadata={"description": "Words of question, item, decision."}
    )


class EscalationCreateSchema(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    question = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    options = fields.List(
        fields.String(validate=validate.Length(max=500)),
        load_default=list,
        validate=validate.Length(max=MAX_OPTIONS),
    )
    recommendation = fields.String(load_default="", validate=_TEXT)
    due_on = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "By default the installation's working days from today."},
    )


class DecisionCreateSchema(Strict):
    version = fields.Integer(metadata={"description": "Or send If-Match with the ETag."})
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    chosen_option = fields.String(load_default="", metadata={"description": "One of options."})
    rationale = fields.String(load_default="", validate=_TEXT)
    unblock = fields.Boolean(load_default=False, metadata={"description": "Unblock the item."})
    new_deadline = fields.Date(allow_none=True, load_default=None)
    new_owner_id = fields.Integer(allow_none=True, load_default=None)
    meeting_id = fields.Integer(
        allow_none=True,
        load_default=None,
        metadata={"description": "The meeting it was decided in (a recent one)."},
    )
