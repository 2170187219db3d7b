"""The shapes of pilots (试点) and their rollout tasks (复制推广) on the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.decision_schemas import ItemRefSchema
from app.api.kpi_schemas import UnitRefSchema
from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of
from app.issues.models import LIGHTS
from app.pilots.models import OUTCOMES, ROLLOUT_STATUSES, STATUSES

_LIGHT = {"enum": list(LIGHTS), "description": "The traffic light (红黄绿灯)."}


class CoverageSchema(Schema):
    done = fields.Integer(required=True)
    applicable = fields.Integer(
        required=True, metadata={"description": "Rollout units not marked not applicable."}
    )
    percent = fields.Integer(allow_none=True, required=True)


class RolloutTaskSchema(Schema):
    id = fields.Integer(required=True)
    pilot_id = fields.Integer(required=True)
    org_unit = fields.Nested(UnitRefSchema, required=True)
    owner = fields.Nested(PersonSchema, allow_none=True, required=True)
    planned_on = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": list(ROLLOUT_STATUSES)})
    done_on = fields.Date(allow_none=True, required=True)
    notes = fields.String(required=True)
    light = fields.String(required=True, attribute="api_light", metadata=_LIGHT)
    updated_at = LocalDateTime(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "Send it back with an edit (or If-Match)."}
    )


class ObjectiveSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    metric = fields.String(required=True)
    baseline = fields.Float(allow_none=True, required=True)
    target = fields.Float(allow_none=True, required=True)
    actual = fields.Float(allow_none=True, required=True)
    measured_on = fields.Date(allow_none=True, required=True)


class PilotSchema(Schema):
    id = fields.Integer(required=True)
    task_force_id = fields.Integer(required=True)
    name = fields.String(required=True)
    measure = fields.String(required=True)
    owner = fields.Nested(PersonSchema, allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    starts_on = fields.Date(allow_none=True, required=True)
    planned_end = fields.Date(allow_none=True, required=True)
    units = fields.List(
        fields.Nested(UnitRefSchema),
        required=True,
        metadata={"description": "The org units it is tried in."},
    )
    decision = fields.String(allow_none=True, required=True, metadata={"enum": [*OUTCOMES, None]})
    decided_at = LocalDateTime(allow_none=True, required=True)
    light = fields.String(required=True, attribute="api_light", metadata=_LIGHT)
    coverage = fields.Nested(
        CoverageSchema,
        allow_none=True,
        required=True,
        attribute="api_coverage",
        metadata={"description": "Rollout done over applicable; none before a rollout."},
    )
    version = fields.Integer(required=True)


class PilotDetailSchema(PilotSchema):
    what_worked = fields.String(required=True)
    what_did_not = fields.String(required=True)
    lessons = fields.String(required=True)
    decision_rationale = fields.String(required=True)
    items = fields.List(fields.Nested(ItemRefSchema), required=True, attribute="issues")
    objectives = fields.List(fields.Nested(ObjectiveSchema), required=True)
    rollout_tasks = fields.List(
        fields.Nested(RolloutTaskSchema), required=True, attribute="rollouts"
    )


PilotPageSchema = page_of(PilotSchema, "PilotPage")


class PilotArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class RolloutUpdateSchema(Strict):
    """The fields to change (the others stay) and the version read."""

    version = fields.Integer(metadata={"description": "Or send If-Match with the ETag."})
    status = fields.String(validate=validate.OneOf(ROLLOUT_STATUSES))
    planned_on = fields.Date(allow_none=True)
    owner_id = fields.Integer(allow_none=True)
    notes = fields.String(validate=validate.Length(max=5000))
