"""Items: creating, editing, assigning and acknowledging them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock, hooks
from app.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.core.outbox import tell
from app.core.permissions import authorize, can
from app.core.service import check_version
from app.extensions import db
from app.issues.models import NEW, PRIORITIES, SOURCES, Category, Issue, Milestone, Subtask
from app.issues.service.categories import _next_code
from app.issues.service.rules import _db_get, _require_work, require_open
from app.people.models import OrgUnit, User
from app.people.roster import active_member_ids


@dataclass
class IssueInput:
    title: str
    category_id: int
    description: str = ""
    solution: str = ""
    owner_id: int | None = None
    collaborator_ids: list[int] = field(default_factory=list)
    org_unit_id: int | None = None
    deadline: date | None = None
    priority: str = "medium"
    major: bool = False
    source: str = "research"


def _check_issue_input(task_force_id: int, data: IssueInput) -> Category:
    if data.priority not in PRIORITIES:
        raise ValidationFailed(_("Unknown priority."), "priority")
    if data.source not in SOURCES:
        raise ValidationFailed(_("Unknown source."), "source")
    category = db.session.scalar(
        select(Category).where(
            Category.id == data.category_id, Category.task_force_id == task_force_id
        )
    )
    if category is None or category.archived:
        raise ValidationFailed(_("Choose a category."), "category_id")
    members = active_member_ids(task_force_id)
    if data.owner_id is not None and data.owner_id not in members:
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    stray = [uid for uid in data.collaborator_ids if uid not in members]
    if stray:
        raise ValidationFailed(
            _("Collaborators must be on the task force's roster."), "collaborator_ids"
        )
    if data.org_unit_id is not None and db.session.get(OrgUnit, data.org_unit_id) is None:
        raise ValidationFailed(_("Unknown org unit."), "org_unit_id")
    return category


def issues_of(task_force_id: int, ids) -> list[Issue]:
    """The task force's items with these ids (for a select of linked items).

    :raise ValidationFailed: on ``issue_ids`` when one is unknown or of another task force.
    """
    if not ids:
        return []
    found = list(
        db.session.scalars(
            select(Issue).where(Issue.id.in_(ids), Issue.task_force_id == task_force_id)
        )
    )
    if len(found) != len(set(ids)):
        raise ValidationFailed(_("Unknown item."), "issue_ids")
    return found


# While a bulk change runs, the messages about single items are held here instead of sent:
# it tells each person once, listing their items (``service/bulk.py``).
_held: ContextVar[list | None] = ContextVar("held_item_messages", default=None)


@contextmanager
def holding_messages() -> Iterator[list]:
    """Collect ``(recipient, issue)`` for each message about an item instead of sending it."""
    held: list = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def _tell(recipient: User, kind: str, issue: Issue, key: str, message) -> None:
    """Queue a message about ``issue`` in the recipient's language."""
    held = _held.get()
    if held is not None:
        held.append((recipient, issue))
        return
    tell(recipient, kind, message, key, f"/issues/{issue.id}", issue, issue.task_force_id)


def _notify_assignment(actor: User, issue: Issue) -> None:
    if issue.owner_id is None or issue.owner_id == actor.id:
        return
    owner = db.session.get(User, issue.owner_id)
    _tell(
        owner,
        "assignment",
        issue,
        f"assignment:{issue.id}:{owner.id}:{issue.assigned_at.isoformat()}",
        lambda: _(
            "%(who)s assigned %(code)s %(title)s to you. Please acknowledge it.",
            who=actor.display_name,
            code=issue.code,
            title=issue.title,
        ),
    )


def _assign(actor: User, issue: Issue, owner_id: int | None) -> None:
    issue.owner_id = owner_id
    issue.assigned_at = clock.now() if owner_id else None
    issue.assigned_by_id = actor.id if owner_id else None
    # Taking on one's own item needs no acknowledgement.
    issue.acknowledged_at = clock.now() if owner_id == actor.id else None


def create_issue(actor: User, task_force_id: int, data: IssueInput) -> Issue:
    """:raise ValidationFailed: on an unknown category, owner off the roster, bad codes."""
    authorize(actor, "issue.create", task_force_id)
    category = _check_issue_input(task_force_id, data)
    if data.owner_id not in (None, actor.id) and not can(actor, "issue.manage", task_force_id):
        raise ValidationFailed(_("Only the leaders assign items to others."), "owner_id")
    code, _number = _next_code(category)
    issue = Issue(
        task_force_id=task_force_id,
        code=code,
        title=data.title,
        description=data.description,
        solution=data.solution,
        category_id=category.id,
        org_unit_id=data.org_unit_id,
        deadline=data.deadline,
        priority=data.priority,
        major=data.major,
        source=data.source,
        status=NEW,
        created_by_id=actor.id,
    )
    _assign(actor, issue, data.owner_id)
    if data.collaborator_ids:
        issue.collaborators = list(
            db.session.scalars(select(User).where(User.id.in_(data.collaborator_ids)))
        )
    db.session.add(issue)
    db.session.flush()
    audit.record(
        actor,
        "created",
        issue,
        {"title": [None, issue.title], "owner_id": [None, issue.owner_id]},
        summary=f"{issue.code} {issue.title}",
    )
    _notify_assignment(actor, issue)
    hooks.ITEM_EVENTS.collect(hooks.ItemEvent("created", actor, issue))
    return issue


def update_issue(actor: User, issue: Issue, data: IssueInput, version: int | None) -> dict:
    """Save an edit. Returns the changes made.

    :raise StaleEdit: when someone saved the item after ``version`` was read.
    """
    _require_work(actor, issue)
    check_version(issue, version)
    require_open(issue)
    _check_issue_input(issue.task_force_id, data)
    manager = can(actor, "issue.manage", issue.task_force_id)
    if data.owner_id != issue.owner_id and not manager:
        raise ValidationFailed(_("Only the leaders reassign an item."), "owner_id")
    if data.major != issue.major and not manager:
        raise ValidationFailed(_("Only the leaders mark an item as major."), "major")
    if data.deadline != issue.deadline and issue.deadline is not None and not manager:
        # The owner's way to a later date is an extension request the leaders decide.
        raise ValidationFailed(
            _("Only the leaders move a deadline: ask for an extension on the item's page."),
            "deadline",
        )
    changes = audit.apply_changes(
        issue,
        {
            "title": data.title,
            "description": data.description,
            "solution": data.solution,
            "category_id": data.category_id,
            "org_unit_id": data.org_unit_id,
            "deadline": data.deadline,
            "priority": data.priority,
            "major": data.major,
            "source": data.source,
        },
    )
    if data.owner_id != issue.owner_id:
        changes["owner_id"] = [issue.owner_id, data.owner_id]
        _assign(actor, issue, data.owner_id)
        _notify_assignment(actor, issue)
    old_collaborators = sorted(u.id for u in issue.collaborators)
    if sorted(set(data.collaborator_ids)) != old_collaborators:
        issue.collaborators = list(
            db.session.scalars(select(User).where(User.id.in_(data.collaborator_ids)))
        )
        changes["collaborators"] = [old_collaborators, sorted(set(data.collaborator_ids))]
    if changes:
        audit.record(actor, "updated", issue, changes, summary=f"{issue.code} {issue.title}")
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)
    return changes


def acknowledge(actor: User, issue: Issue) -> None:
    """The owner signs for the assignment (签收)."""
    authorize(actor, "issue.work", issue.task_force_id)
    if issue.owner_id != actor.id:
        raise PermissionDenied(_("Only the owner acknowledges an assignment."))
    require_open(issue)
    if issue.acknowledged_at is not None:
        raise InvalidTransition(_("This assignment is already acknowledged."))
    issue.acknowledged_at = clock.now()
    audit.record(actor, "acknowledged", issue, summary=issue.code)
    if issue.assigned_by_id and issue.assigned_by_id != actor.id:
        _tell(
            db.session.get(User, issue.assigned_by_id),
            "acknowledged",
            issue,
            f"acknowledged:{issue.id}:{issue.acknowledged_at.isoformat()}",
            lambda: _(
                "%(who)s acknowledged %(code)s %(title)s.",
                who=actor.display_name,
                code=issue.code,
                title=issue.title,
            ),
        )


def get_issue(issue_id) -> Issue:
    return _db_get(Issue, issue_id)


def get_subtask(subtask_id) -> Subtask:
    return _db_get(Subtask, subtask_id)


def get_milestone(milestone_id) -> Milestone:
    return _db_get(Milestone, milestone_id)
