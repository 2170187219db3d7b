"""The shapes of meetings on the API: occurrences with their agenda, attendance and
action items."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import LocalDateTime, PageArgsSchema, PersonSchema, Strict, page_of
from app.meetings.models import ATTENDANCE, CADENCES, KINDS, STATES


class SeriesRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    cadence = fields.String(required=True, metadata={"enum": list(CADENCES)})


class MeetingSchema(Schema):
    id = fields.Integer(required=True)
    task_force_id = fields.Integer(required=True)
    series = fields.Nested(SeriesRefSchema, required=True)
    number = fields.Integer(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    status = fields.String(required=True, metadata={"enum": list(STATES)})
    scheduled_on = fields.Date(
        required=True, metadata={"description": "The day its series' rule gave it."}
    )
    starts_at = LocalDateTime(required=True)
    ends_at = LocalDateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    place = fields.String(required=True)
    online_link = fields.String(required=True)
    chair = fields.Nested(PersonSchema, required=True)
    counterpart = fields.String(
        required=True,
        attribute="counterpart_name",
        metadata={"description": "A one-on-one's counterpart (person or unit); else empty."},
    )
    held_at = LocalDateTime(allow_none=True, required=True)
    published_at = LocalDateTime(allow_none=True, required=True)
    version = fields.Integer(required=True)


class AgendaItemSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    section = fields.String(required=True)
    title = fields.String(required=True)
    detail = fields.String(required=True)
    subject_type = fields.String(allow_none=True, required=True)
    subject_id = fields.Integer(allow_none=True, required=True)
    minutes = fields.String(required=True)


class AttendeeSchema(Schema):
    person = fields.Nested(PersonSchema, required=True, attribute="user")
    status = fields.String(
        allow_none=True,
        required=True,
        metadata={"enum": [*ATTENDANCE, None], "description": "None until recorded."},
    )


class ActionItemSchema(Schema):
    id = fields.Integer(required=True)
    meeting_id = fields.Integer(required=True)
    title = fields.String(required=True)
    owner = fields.Nested(PersonSchema, allow_none=True, required=True)
    deadline = fields.Date(allow_none=True, required=True)
    done = fields.Boolean(
        required=True,
        metadata={"description": "Ticked, or the subtask or item it became is done."},
    )
    done_on = fields.Date(allow_none=True, required=True)
    item_id = fields.Integer(
        allow_none=True,
        required=True,
        attribute="issue_id",
        metadata={"description": "The item it became, or whose subtask it became."},
    )
    subtask_id = fields.Integer(allow_none=True, required=True)
    created_at = LocalDateTime(required=True)


class MeetingDetailSchema(MeetingSchema):
    decisions = fields.String(required=True, metadata={"description": "The minutes' decisions."})
    agenda = fields.List(fields.Nested(AgendaItemSchema), required=True, attribute="api_agenda")
    attendees = fields.List(fields.Nested(AttendeeSchema), required=True, attribute="api_attendees")
    action_items = fields.List(
        fields.Nested(ActionItemSchema), required=True, attribute="api_actions"
    )


MeetingPageSchema = page_of(MeetingSchema, "MeetingPage")


class MeetingFilterSchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    cadence = fields.String(validate=validate.OneOf(CADENCES))
    series_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATES))
    # "from" is a keyword: the field is named so on the wire.
    from_ = fields.Date(data_key="from", metadata={"description": "Starting on or after."})
    to = fields.Date(metadata={"description": "Starting on or before."})


class ActionItemListSchema(Schema):
    items = fields.List(fields.Nested(ActionItemSchema), required=True)


class ActionItemCreateSchema(Strict):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    owner_id = fields.Integer(allow_none=True, load_default=None)
    deadline = fields.Date(allow_none=True, load_default=None)


class ActionItemUpdateSchema(Strict):
    done = fields.Boolean(
        required=True,
        metadata={
            "description": "Tick done (today) or open again: its owner, the chair, the leaders."
        },
    )
