"""Action items: added during a meeting, done, or turned into a subtask of an item or an
item of their own (one unit of work with the issue services).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.core import audit, clock
from app.core.errors import InvalidTransition, NotFound, ValidationFailed
from app.core.permissions import authorize
from app.core.scope import unscoped
from app.extensions import db
from app.issues import service as issues
from app.issues.models import Issue, Subtask
from app.meetings.models import ActionItem, Meeting
from app.meetings.service.occurrences import _get, _require_run, _require_unlocked, get_meeting
from app.people import roster
from app.people.models import User


def add_action(
    actor: User, meeting: Meeting, title: str, owner_id: int | None, deadline: date | None
) -> ActionItem:
    _require_run(actor, meeting)
    _require_unlocked(meeting)
    if not title.strip():
        raise ValidationFailed(_("Write what is to be done."), "title")
    if owner_id is not None and owner_id not in roster.active_member_ids(meeting.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    action = ActionItem(
        task_force_id=meeting.task_force_id,
        meeting_id=meeting.id,
        title=title.strip()[:300],
        owner_id=owner_id,
        deadline=deadline,
    )
    db.session.add(action)
    db.session.flush()
    audit.record(actor, "action_added", meeting, {"action": [None, action.title]})
    return action


def get_action(action_id) -> ActionItem:
    return _get(ActionItem, action_id)


def set_action_done(actor: User, action: ActionItem, done: bool) -> None:
    meeting = get_meeting(action.meeting_id)
    if action.owner_id != actor.id:
        _require_run(actor, meeting)
    authorize(actor, "meeting.minutes", meeting.task_force_id)
    action.done_on = clock.today() if done else None
    audit.record(
        actor,
        "action_done" if done else "action_reopened",
        meeting,
        {"action": [None, action.title]},
    )


def _require_unconverted(action: ActionItem) -> None:
    if action.subtask_id or action.issue_id:
        raise InvalidTransition(_("This action item is already on the problem list."))


def issue_by_code(task_force_id: int, code: str) -> Issue:
    """:raise ValidationFailed: when no item of the task force has this code."""
    issue = None
    if code:
        issue = db.session.scalars(
            select(Issue).where(Issue.task_force_id == task_force_id, Issue.code == code.upper())
        ).first()
    if issue is None:
        raise ValidationFailed(_("No item has this code."), "issue_code")
    return issue


def action_to_subtask(actor: User, action: ActionItem, issue_id: int) -> Subtask:
    """The action item becomes a subtask of an existing item (through the issue services)."""
    meeting = get_meeting(action.meeting_id)
    _require_run(actor, meeting)
    _require_unconverted(action)
    try:
        issue = issues.get_issue(issue_id)
    except NotFound:
        raise ValidationFailed(_("Choose an item."), "issue_id") from None
    subtask = issues.add_subtask(actor, issue, action.title, action.owner_id, action.deadline)
    action.subtask_id = subtask.id
    action.issue_id = issue.id
    audit.record(actor, "action_to_subtask", meeting, {"action": [action.title, issue.code]})
    return subtask


def action_to_issue(actor: User, action: ActionItem, category_id: int) -> Issue:
    """The action item becomes a new item on the problem list, with source "meeting"."""
    meeting = get_meeting(action.meeting_id)
    _require_run(actor, meeting)
    _require_unconverted(action)
    issue = issues.create_issue(
        actor,
        meeting.task_force_id,
        issues.IssueInput(
            title=action.title[:200],
            category_id=category_id,
            description=_(
                "From the meeting %(title)s on %(day)s.",
                title=meeting.title,
                day=clock.local_date(meeting.starts_at).isoformat(),
            ),
            owner_id=action.owner_id,
            deadline=action.deadline,
            source="meeting",
        ),
    )
    action.issue_id = issue.id
    audit.record(actor, "action_to_issue", meeting, {"action": [action.title, issue.code]})
    return issue


def actions_of(meeting_ids: list[int]) -> dict[int, list[ActionItem]]:
    """Action items of several meetings with their subtask and issue: one query."""
    found: dict[int, list[ActionItem]] = defaultdict(list)
    if not meeting_ids:
        return found
    for action in db.session.scalars(
        select(ActionItem)
        .where(ActionItem.meeting_id.in_(meeting_ids))
        .options(
            joinedload(ActionItem.owner),
            joinedload(ActionItem.subtask),
            joinedload(ActionItem.issue),
        )
        .order_by(ActionItem.id)
    ):
        found[action.meeting_id].append(action)
    return found


def open_actions_of(user: User, task_force_ids: list[int], limit: int = 20) -> list[ActionItem]:
    """The user's open action items in ``task_force_ids``, not turned into subtasks or
    items: one query."""
    with unscoped():  # across the user's task forces: the query names them
        return list(
            db.session.scalars(
                select(ActionItem)
                .where(
                    ActionItem.task_force_id.in_(list(task_force_ids)),
                    ActionItem.owner_id == user.id,
                    ActionItem.done_on.is_(None),
                    ActionItem.issue_id.is_(None),
                )
                .options(joinedload(ActionItem.meeting))
                .order_by(ActionItem.deadline.is_(None), ActionItem.deadline, ActionItem.id)
                .limit(limit)
            )
        )
