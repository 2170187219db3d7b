"""``/api/v1/meetings`` and ``/api/v1/action-items``: meetings and what they asked people
to do, through the meeting pages' own services (``meetings.service``) and permission table."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from app.api.meeting_schemas import (
    ActionItemCreateSchema,
    ActionItemListSchema,
    ActionItemSchema,
    ActionItemUpdateSchema,
    MeetingDetailSchema,
    MeetingFilterSchema,
    MeetingPageSchema,
)
from app.api.paging import Paging, envelope, paged
from app.api.spec import api_blueprint
from app.api.versions import etag
from app.core import clock
from app.core.web import current_task_force, requires
from app.meetings import service
from app.meetings.models import ActionItem, Meeting, MeetingSeries

bp = api_blueprint(
    "api_meetings", __name__, "Meetings (会议) with their agenda, attendance and action items."
)


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting of the URL in the task force of the call (404 for any other)."""
    return service.load_meeting(current_user, meeting_id, with_agenda=True)


def load_action(action_id: int) -> ActionItem:
    return service.get_action(action_id)


def _detail(meeting: Meeting) -> Meeting:
    meeting.api_agenda = list(meeting.agenda_items)
    meeting.api_attendees = service.attendance(meeting)
    meeting.api_actions = service.actions_of([meeting.id]).get(meeting.id, [])
    return meeting


@bp.route("/meetings", methods=["GET"])
@requires("meeting.view")
@bp.arguments(MeetingFilterSchema, location="query", as_kwargs=True)
@bp.response(200, MeetingPageSchema)
def list_meetings(**args):
    """The task force's meetings by their time, earliest first; ``from`` and ``to`` are
    days in the installation's zone, both included."""
    paging = Paging.of(args)
    stmt = (
        select(Meeting)
        .join(Meeting.series)
        .options(
            contains_eager(Meeting.series),
            joinedload(Meeting.chair),
            joinedload(Meeting.counterpart_user),
            joinedload(Meeting.counterpart_unit),
        )
        .where(Meeting.task_force_id == current_task_force().id)
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if args.get("kind"):
        stmt = stmt.where(Meeting.kind == args["kind"])
    if args.get("cadence"):
        stmt = stmt.where(MeetingSeries.cadence == args["cadence"])
    if args.get("series_id"):
        stmt = stmt.where(Meeting.series_id == args["series_id"])
    if args.get("status"):
        stmt = stmt.where(Meeting.status == args["status"])
    if args.get("from_"):
        stmt = stmt.where(Meeting.starts_at >= clock.start_of_day(args["from_"]))
    if args.get("to"):
        stmt = stmt.where(Meeting.starts_at < clock.end_of_day(args["to"]))
    rows, total, page = paged(stmt, paging)
    body, headers = envelope(rows, total, page, paging.per_page)
    return body, 200, headers


@bp.route("/meetings/<int:meeting_id>", methods=["GET"])
@requires("meeting.view", load=load_meeting)
@bp.response(200, MeetingDetailSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_meeting(meeting: Meeting, meeting_id: int):
    """One meeting with its agenda (and the minutes against each line), its attendees and
    its action items."""
    return _detail(meeting), 200, etag(meeting)


@bp.route("/meetings/<int:meeting_id>/action-items", methods=["GET"])
@requires("meeting.view", load=load_meeting)
@bp.response(200, ActionItemListSchema)
def list_action_items(meeting: Meeting, meeting_id: int):
    return {"items": service.actions_of([meeting.id]).get(meeting.id, [])}


@bp.route("/meetings/<int:meeting_id>/action-items", methods=["POST"])
@requires("meeting.minutes", load=load_meeting)
@bp.arguments(ActionItemCreateSchema)
@bp.response(201, ActionItemSchema, headers={"Location": {"schema": {"type": "string"}}})
def add_action_item(meeting: Meeting, data: dict, meeting_id: int):
    """Add an action item: the chair or the leaders, while the meeting is not cancelled."""
    action = service.add_action(
        current_user, meeting, data["title"], data["owner_id"], data["deadline"]
    )
    return action, 201, {"Location": url_for("api_meetings.read_action_item", action_id=action.id)}


@bp.route("/action-items/<int:action_id>", methods=["GET"])
@requires("meeting.view", load=load_action)
@bp.response(200, ActionItemSchema)
def read_action_item(action: ActionItem, action_id: int):
    return action


@bp.route("/action-items/<int:action_id>", methods=["PATCH"])
@requires("meeting.minutes", load=load_action)
@bp.arguments(ActionItemUpdateSchema)
@bp.response(200, ActionItemSchema)
def update_action_item(action: ActionItem, data: dict, action_id: int):
    """Tick an action item done, or open it again, as on the meeting's page."""
    service.set_action_done(current_user, action, data["done"])
    return action
