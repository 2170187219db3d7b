"""The problem list's rules: categories, issues, workflow, progress, attachments, queries.

Every function takes the acting user, checks the permission table and the object-level
rule (managers act on any item; members on items they own or work on), writes the audit
event and commits once.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, or_, select, union_all, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.core import audit, clock
from app.core.errors import (
    ConfirmationRequired,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from app.core.outbox import tell
from app.core.paging import within
from app.core.permissions import EXEC_LEADER, LEADER, authorize, can
from app.core.scope import get_in_scope, unscoped
from app.core.service import check_version
from app.core.tree import depth_first, indented_options
from app.extensions import db
from app.issues.labels import STATUS_LABELS
from app.issues.lights import LightRules, light_clause, light_expression
from app.issues.models import (
    BLOCKED,
    CLOSED,
    DROPPED,
    FINISHED_STATUSES,
    IN_PROGRESS,
    LIGHTS,
    NEW,
    OPEN_STATUSES,
    PLANNING,
    PRIORITIES,
    SOURCES,
    STATUSES,
    VERIFYING,
    Attachment,
    Category,
    Issue,
    Milestone,
    ProgressUpdate,
    Subtask,
    issue_collaborator,
)
from app.people.models import Membership, OrgUnit, User
from app.people.roster import active_member_ids

MANAGERS = {LEADER, EXEC_LEADER}


def _db_get(model, ident) -> object:
    return get_in_scope(db.session, model, ident)


def is_manager(actor: User, task_force_id: int) -> bool:
    return bool(actor.roles_in(task_force_id) & MANAGERS)


def may_work_on(actor: User, issue: Issue) -> bool:
    """Managers work on any item; others on items they own or collaborate on."""
    if not can(actor, "issue.work", issue.task_force_id):
        return False
    if is_manager(actor, issue.task_force_id):
        return True
    return issue.owner_id == actor.id or any(u.id == actor.id for u in issue.collaborators)


def _require_work(actor: User, issue: Issue) -> None:
    if not may_work_on(actor, issue):
        raise PermissionDenied(
            _("Only the owner, a collaborator or the leaders may change this item.")
        )


def require_open(issue: Issue) -> None:
    """A closed or dropped item is read-only until it is reopened with a reason: no edit,
    no reschedule, no new or changed milestone, subtask, progress update or file.

    :raise InvalidTransition: for a finished item, naming its status.
    """
    if issue.status in FINISHED_STATUSES:
        raise InvalidTransition(
            _(
                "%(code)s is “%(status)s”: reopen it with a reason before changing it.",
                code=issue.code,
                status=STATUS_LABELS[issue.status],
            )
        )


def _require_manager(actor: User, task_force_id: int, message: str | None = None) -> None:
    authorize(actor, "issue.manage", task_force_id)
    if not is_manager(actor, task_force_id):
        raise PermissionDenied(message or _("Only the leader or the executive leader may do this."))


# --- categories ----------------------------------------------------------------------------


@dataclass
class CategoryInput:
    name: str
    parent_id: int | None = None
    code_prefix: str | None = None
    action_priority: int = 2
    description: str = ""


def _check_prefix(task_force_id: int, prefix: str | None, category: Category | None) -> None:
    if not prefix:
        return
    clash = db.session.scalar(
        select(Category).where(
            Category.task_force_id == task_force_id, Category.code_prefix == prefix
        )
    )
    if clash is not None and clash is not category:
        raise ValidationFailed(_("Another dimension uses this prefix."), "code_prefix")


def _parent_or_none(task_force_id: int, parent_id: int | None) -> Category | None:
    if parent_id is None:
        return None
    parent = db.session.scalar(
        select(Category).where(Category.id == parent_id, Category.task_force_id == task_force_id)
    )
    if parent is None:
        raise ValidationFailed(_("Unknown category."), "parent_id")
    return parent


def create_category(actor: User, task_force_id: int, data: CategoryInput) -> Category:
    authorize(actor, "category.manage", task_force_id)
    parent = _parent_or_none(task_force_id, data.parent_id)
    prefix = (data.code_prefix or "").strip().upper() or None
    if parent is not None and prefix:
        raise ValidationFailed(_("Only a top-level dimension has a code prefix."), "code_prefix")
    _check_prefix(task_force_id, prefix, None)
    category = Category(
        task_force_id=task_force_id,
        parent_id=parent.id if parent else None,
        name=data.name,
        description=data.description,
        code_prefix=prefix,
        action_priority=data.action_priority,
        sort_order=next_sort_order(task_force_id, parent),
        depth=(parent.depth + 1) if parent else 0,
    )
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    audit.record(actor, "created", category, {"name": [None, category.name]}, summary=category.name)
    return category


def update_category(
    actor: User, category: Category, data: CategoryInput, version: int | None
) -> Category:
    """Rename, re-prioritise or move a category (with its whole subtree)."""
    authorize(actor, "category.manage", category.task_force_id)
    check_version(category, version)
    prefix = (data.code_prefix or "").strip().upper() or None
    parent = _parent_or_none(category.task_force_id, data.parent_id)
    if parent is not None and parent.path.startswith(category.path):
        raise ValidationFailed(_("A category cannot be moved under itself."), "parent_id")
    if parent is not None and prefix:
        raise ValidationFailed(_("Only a top-level dimension has a code prefix."), "code_prefix")
    _check_prefix(category.task_force_id, prefix, category)
    changes = audit.apply_changes(
        category,
        {
            "name": data.name,
            "description": data.description,
            "code_prefix": prefix,
            "action_priority": data.action_priority,
        },
    )
    new_parent_id = parent.id if parent else None
    if new_parent_id != category.parent_id:
        changes["parent_id"] = [category.parent_id, new_parent_id]
        _move_subtree(category, parent)
    if changes:
        audit.record(actor, "updated", category, changes, summary=category.name)
    return category


def next_sort_order(task_force_id: int, parent: Category | None) -> int:
    """The place after the last child of ``parent`` (of the top level for ``None``)."""
    last = db.session.scalar(
        select(func.max(Category.sort_order)).where(
            Category.task_force_id == task_force_id,
            Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id,
        )
    )
    return (last or 0) + 1


def _move_subtree(category: Category, parent: Category | None) -> None:
    old_path = category.path
    new_path = f"{parent.path if parent else '/'}{category.id}/"
    depth_shift = ((parent.depth + 1) if parent else 0) - category.depth
    category.sort_order = next_sort_order(category.task_force_id, parent)
    category.parent_id = parent.id if parent else None
    db.session.flush()
    # One UPDATE rewrites the paths of the whole subtree.
    db.session.execute(
        update(Category)
        .where(
            Category.task_force_id == category.task_force_id,
            Category.path.like(f"{old_path}%"),
        )
        .values(
            path=func.replace(Category.path, old_path, new_path),
            depth=Category.depth + depth_shift,
        )
        .execution_options(synchronize_session="fetch")
    )


def reorder_category(actor: User, category: Category, direction: int) -> None:
    """Move a category one place up (-1) or down (+1) among its siblings."""
    authorize(actor, "category.manage", category.task_force_id)
    siblings = list(
        db.session.scalars(
            select(Category)
            .where(
                Category.task_force_id == category.task_force_id,
                Category.parent_id.is_(None)
                if category.parent_id is None
                else Category.parent_id == category.parent_id,
            )
            .order_by(Category.sort_order, Category.id)
        )
    )
    index = siblings.index(category)
    target = index + (1 if direction > 0 else -1)
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for order, sibling in enumerate(siblings, start=1):
        sibling.sort_order = order
    audit.record(actor, "reordered", category, summary=category.name)


def set_category_archived(actor: User, category: Category, archived: bool) -> None:
    authorize(actor, "category.manage", category.task_force_id)
    if archived:
        open_items = db.session.scalar(
            select(func.count(Issue.id))
            .join(Category, Category.id == Issue.category_id)
            .where(Category.path.like(f"{category.path}%"), Issue.status.in_(OPEN_STATUSES))
        )
        if open_items:
            raise ValidationFailed(
                _(
                    "%(n)d open items are filed under this category; move or close them first.",
                    n=open_items,
                )
            )
    changes = audit.apply_changes(category, {"archived_at": clock.now() if archived else None})
    if changes:
        audit.record(actor, "archived" if archived else "restored", category, summary=category.name)


@dataclass
class CategoryRow:
    category: Category
    depth: int
    total: int = 0
    closed: int = 0
    open: int = 0


def category_tree(
    task_force_id: int, include_archived: bool = True, status=None, where=()
) -> list[CategoryRow]:
    """All categories in tree order with their subtree's issue counts: two queries.

    ``status`` and ``where`` let the quarterly pack count as of a past instant (the
    status then, the items that existed then); by default the counts are as of now.
    """
    status = Issue.status if status is None else status
    categories = list(
        db.session.scalars(select(Category).where(Category.task_force_id == task_force_id))
    )
    direct = {
        category_id: (total, closed)
        for category_id, total, closed in db.session.execute(
            select(
                Issue.category_id,
                func.count(Issue.id),
                func.count(Issue.id).filter(status == CLOSED),
            )
            .where(Issue.task_force_id == task_force_id, status != DROPPED, *where)
            .group_by(Issue.category_id)
        )
    }
    shown = [c for c in categories if include_archived or not c.archived]
    rows = [CategoryRow(c, depth) for c, depth in depth_first(shown, _category_order)]
    by_id = {row.category.id: row for row in rows}
    # Each category's own items count for it and for every ancestor on its path.
    for row in rows:
        total, closed = direct.get(row.category.id, (0, 0))
        for ancestor_id in row.category.path.strip("/").split("/"):
            ancestor = by_id.get(int(ancestor_id))
            if ancestor is not None:
                ancestor.total += total
                ancestor.closed += closed
    for row in rows:
        row.open = row.total - row.closed
    return rows


def _category_order(category: Category):
    return (category.sort_order, category.id)


def get_category(category_id) -> Category:
    return _db_get(Category, category_id)


def _top_level(category: Category) -> Category:
    top_id = int(category.path.strip("/").split("/")[0])
    return category if top_id == category.id else db.session.get(Category, top_id)


def _next_code(category: Category) -> tuple[str, int]:
    """Number an item within its top-level dimension: KH-001, KH-002 …

    One UPDATE … RETURNING takes the number, so two items created at once get two
    numbers. It is no edit of the dimension: its version stays, and a leader editing the
    dimension while members add items is not told that someone else saved it.
    """
    top = _top_level(category)
    counter = Category.__table__.c
    taken = db.session.execute(
        update(Category.__table__)
        .where(counter.id == top.id)
        .values(next_number=counter.next_number + 1)
        .returning(counter.next_number)
    ).scalar_one()
    number = taken - 1
    set_committed_value(top, "next_number", taken)  # the object in step, and not "changed"
    prefix = top.code_prefix or "GJ"
    return f"{prefix}-{number:03d}", number


# --- issues --------------------------------------------------------------------------------


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


def _tell(recipient: User, kind: str, issue: Issue, key: str, message) -> None:
    """Queue a message about ``issue`` in the recipient's language."""
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
    if data.owner_id not in (None, actor.id) and not is_manager(actor, task_force_id):
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
    return issue


def update_issue(actor: User, issue: Issue, data: IssueInput, version: int | None) -> dict:
    """Save an edit. Returns the changes made.

    :raise StaleEdit: when someone saved the item after ``version`` was read.
    """
    _require_work(actor, issue)
    check_version(issue, version)
    require_open(issue)
    _check_issue_input(issue.task_force_id, data)
    manager = is_manager(actor, issue.task_force_id)
    if data.owner_id != issue.owner_id and not manager:
        raise ValidationFailed(_("Only the leaders reassign an item."), "owner_id")
    if data.major != issue.major and not manager:
        raise ValidationFailed(_("Only the leaders mark an item as major."), "major")
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


# (from, to) -> who may: "work" = owner, collaborator or manager; "manage" = leaders only.
TRANSITIONS: dict[tuple[str, str], str] = {
    (NEW, PLANNING): "work",
    (NEW, IN_PROGRESS): "work",
    (PLANNING, IN_PROGRESS): "work",
    (PLANNING, NEW): "work",
    (IN_PROGRESS, PLANNING): "work",
    (IN_PROGRESS, VERIFYING): "work",
    (VERIFYING, IN_PROGRESS): "work",
    (VERIFYING, CLOSED): "manage",
    (CLOSED, IN_PROGRESS): "manage",
    (DROPPED, PLANNING): "manage",
}
for _open in (NEW, PLANNING, IN_PROGRESS, VERIFYING):
    TRANSITIONS[(_open, BLOCKED)] = "work"
    TRANSITIONS[(_open, DROPPED)] = "manage"
for _resume in (NEW, PLANNING, IN_PROGRESS, VERIFYING):
    TRANSITIONS[(BLOCKED, _resume)] = "work"
TRANSITIONS[(BLOCKED, DROPPED)] = "manage"


def needs_reason(from_status: str, to_status: str) -> bool:
    """Blocking, dropping, reopening and sending back from verification need a reason."""
    return (
        to_status in (BLOCKED, DROPPED)
        or from_status in FINISHED_STATUSES
        or (from_status == VERIFYING and to_status == IN_PROGRESS)
    )


def allowed_transitions(actor: User, issue: Issue) -> list[str]:
    """The statuses ``actor`` may move ``issue`` to now (for buttons and the board)."""
    result = []
    for (source, target), who in TRANSITIONS.items():
        if source != issue.status:
            continue
        try:
            _check_transition(actor, issue, target, who)
        except (PermissionDenied, InvalidTransition):
            continue
        result.append(target)
    return result


def _check_transition(actor: User, issue: Issue, target: str, who: str) -> None:
    if who == "manage":
        _require_manager(actor, issue.task_force_id)
    else:
        _require_work(actor, issue)
    if target in (IN_PROGRESS, VERIFYING) and issue.owner_id is None:
        raise InvalidTransition(_("Assign an owner before work starts."))
    if target in (IN_PROGRESS, VERIFYING) and issue.acknowledged_at is None:
        raise InvalidTransition(
            _("The owner has not acknowledged the assignment yet; it cannot count as started.")
        )


def open_work(issue: Issue) -> dict | None:
    """What is still open on ``issue`` (milestones and subtasks not done) as plain data,
    the record kept with the verification when it is closed anyway; None when nothing is."""
    milestones = [
        {"title": m.title, "due_on": m.due_on.isoformat()} for m in issue.milestones if not m.done
    ]
    subtasks = [
        {
            "title": s.title,
            "deadline": s.deadline.isoformat() if s.deadline else None,
            "owner": s.owner.display_name if s.owner else None,
        }
        for s in issue.subtasks
        if not s.done
    ]
    if not milestones and not subtasks:
        return None
    return {"milestones": milestones, "subtasks": subtasks}


def describe_open_work(record: dict | None) -> list[str]:
    """The lines of an ``open_work`` record, in the reader's language."""
    lines = []
    for milestone in (record or {}).get("milestones", []):
        lines.append(
            _(
                "Milestone “%(title)s”, due %(day)s",
                title=milestone["title"],
                day=milestone["due_on"],
            )
        )
    for subtask in (record or {}).get("subtasks", []):
        title, owner, day = subtask["title"], subtask.get("owner"), subtask.get("deadline")
        if owner and day:
            line = _(
                "Subtask “%(title)s” (%(owner)s, due %(day)s)", title=title, owner=owner, day=day
            )
        elif owner:
            line = _("Subtask “%(title)s” (%(owner)s)", title=title, owner=owner)
        elif day:
            line = _("Subtask “%(title)s”, due %(day)s", title=title, day=day)
        else:
            line = _("Subtask “%(title)s”", title=title)
        lines.append(line)
    return lines


def change_status(
    actor: User,
    issue: Issue,
    target: str,
    reason: str = "",
    verification_note: str = "",
    version: int | None = None,
    confirmed: bool = False,
) -> None:
    """Move an item through the workflow.

    Closing (销号) an item whose milestones or subtasks are not all done needs
    ``confirmed``; what was still open is then kept with the verification and audited.

    :raise InvalidTransition: for a move the workflow forbids, with the reason why.
    :raise PermissionDenied: when the actor may not make this move.
    :raise ValidationFailed: when a reason or a verification note is missing.
    :raise ConfirmationRequired: when closing with open work, unconfirmed; ``details``
        lists it.
    """
    if target not in STATUSES:
        raise InvalidTransition(_("Unknown status."))
    check_version(issue, version)
    if target == issue.status:
        raise InvalidTransition(_("The item already has this status."))
    who = TRANSITIONS.get((issue.status, target))
    if who is None:
        raise InvalidTransition(
            _(
                "An item cannot go from “%(from)s” to “%(to)s”.",
                **{"from": STATUS_LABELS[issue.status], "to": STATUS_LABELS[target]},
            )
        )
    if target == CLOSED:
        _require_manager(
            actor, issue.task_force_id, _("Only the leader or the executive leader closes an item.")
        )
    _check_transition(actor, issue, target, who)
    reason = reason.strip()
    if needs_reason(issue.status, target) and not reason:
        raise ValidationFailed(_("Give a reason."), "reason")
    if target == CLOSED and not verification_note.strip():
        raise ValidationFailed(_("Write what was verified before closing."), "verification_note")
    still_open = open_work(issue) if target == CLOSED else None
    if still_open and not confirmed:
        raise ConfirmationRequired(
            _(
                "%(code)s still has open milestones or subtasks. Close it anyway? "
                "What is still open is recorded with the verification.",
                code=issue.code,
            ),
            describe_open_work(still_open),
        )

    previous = issue.status
    changes = {"status": [previous, target]}
    issue.status = target
    if reason:
        issue.status_reason = reason
        changes["status_reason"] = [None, reason]
    if target == BLOCKED:
        issue.resume_status = previous
    if target == CLOSED:
        issue.closed_at = clock.now()
        issue.closed_by_id = actor.id
        issue.verification_note = verification_note.strip()
        issue.percent = 100
        changes["verification_note"] = [None, issue.verification_note]
        issue.open_at_closing = still_open
        if still_open:
            changes["open_at_closing"] = [None, still_open]
    elif previous == CLOSED:
        issue.closed_at = None
        issue.closed_by_id = None
        issue.open_at_closing = None
    audit.record(actor, "status_changed", issue, changes, summary=issue.code)
    _tell_about_status(actor, issue, previous, target, reason)


def apply_outcome(
    actor: User,
    issue: Issue,
    *,
    unblock: bool = False,
    deadline: date | None = None,
    owner_id: int | None = None,
    reason: str = "",
) -> dict:
    """Apply what a decision settled (unblock, a new deadline, a new owner) WITHOUT
    committing: the caller (an escalation's decision) commits it with its own rows.

    The workflow's rules hold as for any change: only the leaders, the owner on the roster,
    the unblocked status reachable. Returns the changes, already audited.

    :raise PermissionDenied, InvalidTransition, ValidationFailed: as the single changes would.
    """
    _require_manager(actor, issue.task_force_id)
    new_owner = owner_id is not None and owner_id != issue.owner_id
    new_deadline = deadline is not None and deadline != issue.deadline
    if unblock or new_owner or new_deadline:
        # A decision may still be recorded on a finished item; it changes nothing on it.
        require_open(issue)
    if new_owner and owner_id not in active_member_ids(issue.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    changes: dict = {}
    # Unblock first: the workflow checks the owner who was there when work stopped.
    if unblock:
        if issue.status != BLOCKED:
            raise InvalidTransition(_("The item is not blocked."))
        target = issue.resume_status or IN_PROGRESS
        _check_transition(actor, issue, target, TRANSITIONS[(BLOCKED, target)])
        changes["status"] = [BLOCKED, target]
        issue.status = target
        issue.status_reason = reason.strip()
    if new_deadline:
        changes.update(audit.apply_changes(issue, {"deadline": deadline}))
    if new_owner:
        changes["owner_id"] = [issue.owner_id, owner_id]
        _assign(actor, issue, owner_id)
        _notify_assignment(actor, issue)
    if changes:
        audit.record(actor, "decided", issue, changes, summary=f"{issue.code} {reason}"[:120])
    return changes


def _tell_about_status(actor: User, issue: Issue, previous: str, target: str, reason: str) -> None:
    """Tell the owner what the leaders did, and the leaders what the owner reports."""
    recipients: set[int] = set()
    if target == VERIFYING:
        recipients = {
            m.user_id
            for m in db.session.scalars(
                select(Membership).where(
                    Membership.task_force_id == issue.task_force_id,
                    Membership.role == EXEC_LEADER,
                    Membership.active_on(clock.today()),
                )
            )
        }
    elif issue.owner_id and issue.owner_id != actor.id:
        recipients = {issue.owner_id}
    recipients.discard(actor.id)
    stamp = clock.now().isoformat()

    def message() -> str:
        text = _(
            "%(code)s %(title)s: %(from)s → %(to)s (%(who)s)",
            code=issue.code,
            title=issue.title,
            who=actor.display_name,
            **{"from": STATUS_LABELS[previous], "to": STATUS_LABELS[target]},
        )
        return f"{text} — {reason}" if reason else text

    for user in db.session.scalars(select(User).where(User.id.in_(recipients))):
        _tell(user, "status", issue, f"status:{issue.id}:{target}:{user.id}:{stamp}", message)


def add_progress(
    actor: User, issue: Issue, note: str, percent: int | None = None
) -> ProgressUpdate:
    _require_work(actor, issue)
    require_open(issue)
    if not note.strip():
        raise ValidationFailed(_("Write what happened."), "note")
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationFailed(_("Between 0 and 100."), "percent")
    update_ = ProgressUpdate(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        author_id=actor.id,
        note=note.strip(),
        percent=percent,
    )
    db.session.add(update_)
    issue.last_progress_at = clock.now()
    changes = {}
    if percent is not None and percent != issue.percent:
        changes["percent"] = [issue.percent, percent]
        issue.percent = percent
    db.session.flush()
    audit.record(actor, "progress", issue, changes, summary=note.strip()[:120])
    return update_


def add_subtask(
    actor: User, issue: Issue, title: str, owner_id: int | None = None, deadline: date | None = None
) -> Subtask:
    _require_work(actor, issue)
    require_open(issue)
    if owner_id is not None and owner_id not in active_member_ids(issue.task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    subtask = Subtask(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        title=title.strip(),
        owner_id=owner_id,
        deadline=deadline,
        sort_order=(
            db.session.scalar(
                select(func.max(Subtask.sort_order)).where(Subtask.issue_id == issue.id)
            )
            or 0
        )
        + 1,
    )
    db.session.add(subtask)
    db.session.flush()
    audit.record(
        actor, "subtask_added", issue, {"subtask": [None, subtask.title]}, summary=issue.code
    )
    return subtask


def set_subtask_done(actor: User, subtask: Subtask, done: bool) -> None:
    issue = subtask.issue
    if subtask.owner_id != actor.id:
        _require_work(actor, issue)
    require_open(issue)
    subtask.done_at = clock.now() if done else None
    audit.record(
        actor,
        "subtask_done" if done else "subtask_reopened",
        issue,
        {"subtask": [subtask.title, subtask.title]},
        summary=issue.code,
    )


def add_milestone(
    actor: User, issue: Issue, title: str, due_on: date, starts_on: date | None = None
) -> Milestone:
    _require_work(actor, issue)
    require_open(issue)
    if starts_on is not None and starts_on > due_on:
        raise ValidationFailed(_("The start must not be after the due date."), "starts_on")
    milestone = Milestone(
        task_force_id=issue.task_force_id,
        issue_id=issue.id,
        title=title.strip(),
        starts_on=starts_on,
        due_on=due_on,
    )
    db.session.add(milestone)
    db.session.flush()
    audit.record(
        actor,
        "milestone_added",
        issue,
        {"milestone": [None, f"{milestone.title} {due_on.isoformat()}"]},
        summary=issue.code,
    )
    return milestone


def set_milestone_done(actor: User, milestone: Milestone, done: bool) -> None:
    issue = milestone.issue
    _require_work(actor, issue)
    require_open(issue)
    milestone.done_on = clock.today() if done else None
    audit.record(
        actor,
        "milestone_done" if done else "milestone_reopened",
        issue,
        {"milestone": [milestone.title, milestone.title]},
        summary=issue.code,
    )


def reschedule_milestone(actor: User, milestone: Milestone, due_on: date) -> None:
    issue = milestone.issue
    _require_work(actor, issue)
    require_open(issue)
    changes = audit.apply_changes(milestone, {"due_on": due_on})
    if changes:
        audit.record(actor, "milestone_rescheduled", issue, changes, summary=issue.code)


# --- attachments ---------------------------------------------------------------------------

ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
}
# The first bytes of each type, so a renamed executable is not stored as a "PDF".
MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".xlsx": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}


def attachment_dir() -> Path:
    folder = Path(
        current_app.config["ATTACHMENT_DIR"] or Path(current_app.instance_path) / "attachments"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class StoredFile:
    name: str  # the name the user gave it, without folders
    stored_name: str
    content_type: str
    size: int
    sha256: str


def store_file(filename: str, content: bytes) -> StoredFile:
    """Check an uploaded evidence file and write it under ``attachment_dir``.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    name = Path(filename or "").name.strip()
    suffix = Path(name).suffix.lower()
    if not name or suffix not in ALLOWED_TYPES:
        raise ValidationFailed(
            _("Allowed file types: %(types)s.", types=", ".join(sorted(ALLOWED_TYPES))), "file"
        )
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    if not content:
        raise ValidationFailed(_("The file is empty."), "file")
    if len(content) > limit:
        raise ValidationFailed(
            _("The file is larger than %(mb)d MB.", mb=math.ceil(limit / 1024 / 1024)), "file"
        )
    if suffix in MAGIC and not content.startswith(MAGIC[suffix]):
        raise ValidationFailed(_("The file's content does not match its type."), "file")
    stored = f"{uuid.uuid4().hex}{suffix}"
    (attachment_dir() / stored).write_bytes(content)
    return StoredFile(
        name=name[:200],
        stored_name=stored,
        content_type=ALLOWED_TYPES[suffix],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


@contextmanager
def kept_only_if_saved(stored: StoredFile) -> Iterator[None]:
    """A file written before its row is saved goes again if the save fails (it lost a
    race, say): no file on the disk that no row names."""
    try:
        yield
    except BaseException:
        (attachment_dir() / stored.stored_name).unlink(missing_ok=True)
        raise


def add_attachment(actor: User, issue: Issue, filename: str, content: bytes) -> Attachment:
    """Store an evidence file.

    :raise ValidationFailed: for an empty or too large file or a type not on the list.
    """
    _require_work(actor, issue)
    require_open(issue)
    stored = store_file(filename, content)
    with kept_only_if_saved(stored):
        attachment = Attachment(
            task_force_id=issue.task_force_id,
            issue_id=issue.id,
            filename=stored.name,
            stored_name=stored.stored_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by_id=actor.id,
        )
        db.session.add(attachment)
        db.session.flush()
        audit.record(
            actor,
            "attachment_added",
            issue,
            {"attachment": [None, attachment.filename]},
            summary=issue.code,
        )
        db.session.flush()  # a row the database refuses takes its file with it
    return attachment


def attachment_path(actor: User, attachment: Attachment) -> Path:
    """:raise PermissionDenied: unless ``actor`` may read the item."""
    authorize(actor, "issue.view", attachment.task_force_id)
    return attachment_dir() / attachment.stored_name


# --- reading -------------------------------------------------------------------------------


def get_issue(issue_id) -> Issue:
    return _db_get(Issue, issue_id)


def get_subtask(subtask_id) -> Subtask:
    return _db_get(Subtask, subtask_id)


def get_milestone(milestone_id) -> Milestone:
    return _db_get(Milestone, milestone_id)


def get_attachment(attachment_id) -> Attachment:
    return _db_get(Attachment, attachment_id)


def load_issue(actor: User, issue_id) -> Issue:
    """One item with everything its page shows, in a fixed number of queries.

    :raise NotFound: for an unknown id or an item of another task force.
    """
    try:
        ident = int(issue_id)
    except (TypeError, ValueError):
        raise NotFound("issue not found") from None
    issue = (
        db.session.scalars(
            select(Issue)
            .where(Issue.id == ident)
            .options(
                joinedload(Issue.owner),
                joinedload(Issue.category),
                joinedload(Issue.org_unit),
                # Collaborators and milestones are few per item: joined into the one
                # row set (their product stays small); subtasks come in one more query.
                joinedload(Issue.collaborators),
                joinedload(Issue.milestones),
                selectinload(Issue.subtasks).joinedload(Subtask.owner),
            )
        )
        .unique()
        .one_or_none()
    )
    if issue is None:
        raise NotFound("issue not found")
    authorize(actor, "issue.view", issue.task_force_id)
    return issue


def category_options(task_force_id: int, exclude_path: str | None = None) -> list[tuple[int, str]]:
    """(id, indented name) of the open categories in tree order: one query, for selects."""
    categories = [
        c
        for c in db.session.scalars(
            select(Category).where(
                Category.task_force_id == task_force_id, Category.archived_at.is_(None)
            )
        )
        if not (exclude_path and c.path.startswith(exclude_path))
    ]
    return indented_options(depth_first(categories, _category_order), lambda c: c.name)


@dataclass
class Timeline:
    updates: list[ProgressUpdate]
    attachments: list[Attachment]
    history: list


def issue_timeline(issue: Issue) -> Timeline:
    from app.core.models import AuditEvent

    updates = list(
        db.session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.issue_id == issue.id)
            .options(joinedload(ProgressUpdate.author))
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        )
    )
    attachments = list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.issue_id == issue.id)
            .options(joinedload(Attachment.uploaded_by))
            .order_by(Attachment.created_at.desc())
        )
    )
    history = db.session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "issue", AuditEvent.entity_id == issue.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    return Timeline(updates=updates, attachments=attachments, history=history)


@dataclass
class IssueFilter:
    category_id: int | None = None
    owner_id: int | None = None
    org_unit_id: int | None = None
    statuses: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    light: str | None = None
    major: bool | None = None
    deadline_from: date | None = None
    deadline_to: date | None = None
    unacknowledged: bool = False
    open_only: bool = False
    path_defined: bool | None = None
    q: str = ""
    sort: str = "code"
    page: int = 1


def _priority_rank():
    return case({p: i for i, p in enumerate(PRIORITIES)}, value=Issue.priority, else_=9)


def _status_rank():
    from sqlalchemy import case

    return case({s: i for i, s in enumerate(STATUSES)}, value=Issue.status, else_=99)


def path_defined_clause():
    """已明确路径: a solution is written and a landing schedule exists."""
    return (func.length(func.trim(Issue.solution)) > 0) & (
        select(Milestone.id).where(Milestone.issue_id == Issue.id).exists()
    )


def headline_counts(rules: LightRules, status=None) -> dict:
    """The problem list's headline figures as SELECT columns over ``Issue``.

    One definition for the battle map and the quarterly review pack, so both print the
    same numbers. ``status`` is the status column to count by: the issue's own, or an
    expression giving its status at some past instant.
    """
    status = Issue.status if status is None else status
    is_open = status.in_(OPEN_STATUSES)
    count = func.count(Issue.id)
    return {
        "problems": count.filter(status != DROPPED),
        "closed": count.filter(status == CLOSED),
        "open": count.filter(is_open),
        "path_defined": count.filter(is_open & path_defined_clause()),
        "overdue": count.filter(is_open & (Issue.deadline < rules.today)),
    }


def filtered(task_force_id: int, filters: IssueFilter, rules: LightRules) -> Select:
    stmt = select(Issue).where(Issue.task_force_id == task_force_id)
    if filters.category_id:
        node = db.session.scalar(
            select(Category.path).where(
                Category.id == filters.category_id, Category.task_force_id == task_force_id
            )
        )
        # The whole subtree, in SQL.
        subtree = select(Category.id).where(Category.path.like(f"{node or '/-1/'}%"))
        stmt = stmt.where(Issue.category_id.in_(subtree))
    if filters.owner_id:
        stmt = stmt.where(Issue.owner_id == filters.owner_id)
    if filters.org_unit_id:
        stmt = stmt.where(Issue.org_unit_id == filters.org_unit_id)
    if filters.statuses:
        stmt = stmt.where(Issue.status.in_(filters.statuses))
    if filters.open_only:
        stmt = stmt.where(Issue.status.in_(OPEN_STATUSES))
    if filters.priorities:
        stmt = stmt.where(Issue.priority.in_(filters.priorities))
    if filters.light in LIGHTS:
        stmt = stmt.where(light_clause(rules, filters.light))
    if filters.major is not None:
        stmt = stmt.where(Issue.major.is_(filters.major))
    if filters.deadline_from:
        stmt = stmt.where(Issue.deadline >= filters.deadline_from)
    if filters.deadline_to:
        stmt = stmt.where(Issue.deadline <= filters.deadline_to)
    if filters.unacknowledged:
        stmt = stmt.where(
            Issue.owner_id.is_not(None),
            Issue.acknowledged_at.is_(None),
            Issue.status.in_(OPEN_STATUSES),
        )
    if filters.path_defined is not None:
        clause = path_defined_clause()
        stmt = stmt.where(clause if filters.path_defined else ~clause)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        stmt = stmt.where(
            or_(
                Issue.code.ilike(like),
                Issue.title.ilike(like),
                Issue.description.ilike(like),
                Issue.solution.ilike(like),
            )
        )
    return stmt


def _order(stmt: Select, sort: str) -> Select:
    if sort == "priority":
        # Items without a deadline last, on every engine (SQLite sorts NULL first).
        return stmt.order_by(_priority_rank(), Issue.deadline.is_(None), Issue.deadline, Issue.code)
    if sort == "deadline":
        return stmt.order_by(Issue.deadline.is_(None), Issue.deadline, Issue.code)
    if sort == "-deadline":
        return stmt.order_by(Issue.deadline.is_(None), Issue.deadline.desc(), Issue.code)
    if sort == "updated":
        return stmt.order_by(Issue.updated_at.desc(), Issue.id.desc())
    if sort == "title":
        return stmt.order_by(Issue.title, Issue.id)
    if sort == "status":
        return stmt.order_by(_status_rank(), Issue.code)  # in workflow order
    return stmt.order_by(Issue.category_id, Issue.id)


SORT_KEYS = ("code", "deadline", "-deadline", "priority", "updated", "title", "status")


@dataclass
class IssuePage:
    rows: list[tuple[Issue, str]]  # (issue, light)
    total: int
    page: int
    pages: int


def list_issues(actor: User, task_force_id: int, filters: IssueFilter, per_page: int = 50):
    """One page of the filtered list with each row's light: three queries at most."""
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()
    base = filtered(task_force_id, filters, rules)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    page, pages = within(filters.page, total, per_page)
    stmt = (
        _order(base, filters.sort)
        .add_columns(light_expression(rules).label("light"))
        .options(joinedload(Issue.owner), joinedload(Issue.category))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [(issue, light) for issue, light in db.session.execute(stmt).unique()]
    return IssuePage(rows=rows, total=total, page=page, pages=pages)


def board(actor: User, task_force_id: int, filters: IssueFilter, per_column: int = 25):
    """Items per status column with lights; closed and dropped show the most recent only."""
    authorize(actor, "issue.view", task_force_id)
    rules = LightRules.current()
    base = filtered(task_force_id, filters, rules)
    counts = dict(
        db.session.execute(
            select(Issue.status, func.count(Issue.id))
            .where(Issue.id.in_(base.with_only_columns(Issue.id)))
            .group_by(Issue.status)
        ).all()
    )
    # One small, index-backed query per column, glued with UNION ALL into one statement;
    # the light (with its milestone subquery) is computed for the cards shown only.
    per_status = []
    for status in STATUSES:
        order = (
            (Issue.updated_at.desc(), Issue.id.desc())
            if status in FINISHED_STATUSES
            else (Issue.deadline.is_(None), Issue.deadline, Issue.id)
        )
        per_status.append(
            base.with_only_columns(Issue.id)
            .where(Issue.status == status)
            .order_by(*order)
            .limit(per_column)
            .subquery()
            .select()
        )
    shown = union_all(*per_status).subquery()
    stmt = (
        select(Issue, light_expression(rules).label("light"))
        .where(Issue.id.in_(select(shown.c.id)))
        .options(joinedload(Issue.owner))
    )
    columns: dict[str, list[tuple[Issue, str]]] = {status: [] for status in STATUSES}
    for issue, light in db.session.execute(stmt).unique():
        columns[issue.status].append((issue, light))
    for status, cards in columns.items():
        if status in FINISHED_STATUSES:
            cards.sort(key=lambda pair: pair[0].updated_at, reverse=True)
        else:
            cards.sort(
                key=lambda pair: (
                    pair[0].deadline is None,
                    pair[0].deadline or date.max,
                    pair[0].id,
                )
            )
    return columns, counts


@dataclass
class MyItems:
    owned: list[tuple[Issue, str]]
    collaborating: list[tuple[Issue, str]]
    to_acknowledge: list[Issue]
    to_verify: list[Issue]
    unacknowledged_by_others: list[Issue]
    subtasks: list[Subtask]


def my_items(actor: User, task_force_ids: list[int]) -> MyItems:
    """Mine and where I collaborate, overdue first, then due this week; what awaits me:
    across ``task_force_ids`` (the reader's task forces), in one query per list.

    :raise PermissionDenied: when the actor may not view items in one of them.
    """
    for task_force_id in task_force_ids:
        authorize(actor, "issue.view", task_force_id)
    ids = list(task_force_ids)
    managed = [task_force_id for task_force_id in ids if is_manager(actor, task_force_id)]
    rules = LightRules.current()
    light = light_expression(rules).label("light")
    urgency = (
        Issue.deadline.is_(None),
        Issue.deadline,
        Issue.id,
    )
    # Across task forces: every query names them; what the pages show is loaded with it.
    with unscoped():
        owned = db.session.execute(
            select(Issue, light)
            .where(
                Issue.task_force_id.in_(ids),
                Issue.owner_id == actor.id,
                Issue.status.in_(OPEN_STATUSES),
            )
            .options(joinedload(Issue.category))
            .order_by(*urgency)
        ).all()
        collaborating = db.session.execute(
            select(Issue, light)
            .join(issue_collaborator, issue_collaborator.c.issue_id == Issue.id)
            .where(
                Issue.task_force_id.in_(ids),
                issue_collaborator.c.user_id == actor.id,
                Issue.status.in_(OPEN_STATUSES),
            )
            .options(joinedload(Issue.owner))
            .order_by(*urgency)
        ).all()
        to_acknowledge = [issue for issue, _light in owned if issue.acknowledged_at is None]
        to_verify: list[Issue] = []
        if managed:
            to_verify = list(
                db.session.scalars(
                    select(Issue)
                    .where(Issue.task_force_id.in_(managed), Issue.status == VERIFYING)
                    .options(joinedload(Issue.owner))
                    .order_by(Issue.updated_at)
                )
            )
        unacknowledged_by_others = list(
            db.session.scalars(
                select(Issue)
                .where(
                    Issue.task_force_id.in_(ids),
                    Issue.assigned_by_id == actor.id,
                    Issue.owner_id != actor.id,
                    Issue.acknowledged_at.is_(None),
                    Issue.status.in_(OPEN_STATUSES),
                )
                .options(joinedload(Issue.owner))
                .order_by(Issue.assigned_at)
            )
        )
        subtasks = list(
            db.session.scalars(
                select(Subtask)
                .join(Issue, Issue.id == Subtask.issue_id)
                .where(
                    Subtask.task_force_id.in_(ids),
                    Subtask.owner_id == actor.id,
                    Subtask.done_at.is_(None),
                    Issue.status.in_(OPEN_STATUSES),
                )
                .options(joinedload(Subtask.issue))
                .order_by(Subtask.deadline.is_(None), Subtask.deadline)
            )
        )

    def overdue_first(pairs):
        return sorted(
            pairs,
            key=lambda p: (
                0 if p[1] == "red" else 1 if p[1] == "yellow" else 2,
                p[0].deadline is None,
                p[0].deadline or date.max,
            ),
        )

    return MyItems(
        owned=overdue_first([tuple(r) for r in owned]),
        collaborating=overdue_first([tuple(r) for r in collaborating]),
        to_acknowledge=to_acknowledge,
        to_verify=to_verify,
        unacknowledged_by_others=unacknowledged_by_others,
        subtasks=subtasks,
    )


def schedule(
    actor: User,
    task_force_id: int,
    category_id: int | None = None,
    owner_id: int | None = None,
    limit: int = 80,
) -> tuple[list[tuple[Issue, list[Milestone]]], int]:
    """Open items with their milestones (the landing schedule 落地排期), earliest deadline
    first; at most ``limit`` items, and how many there are in all."""
    authorize(actor, "issue.view", task_force_id)
    filters = IssueFilter(category_id=category_id, owner_id=owner_id, open_only=True)
    base = filtered(task_force_id, filters, LightRules.current()).where(
        select(Milestone.id).where(Milestone.issue_id == Issue.id).exists()
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    issues = list(
        db.session.scalars(
            base.options(selectinload(Issue.milestones), joinedload(Issue.owner))
            .order_by(Issue.deadline.is_(None), Issue.deadline, Issue.id)
            .limit(limit)
        ).unique()
    )
    return [(issue, list(issue.milestones)) for issue in issues], total
