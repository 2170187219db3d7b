"""Items created and updated in batches (the spreadsheet and the mind-map imports).

A batch gets what one item created or edited by hand gets: its code in its top-level
dimension, its owner assigned and told (the message ``create_issue`` sends), an audit
event per item; and it costs a fixed number of queries whatever the number of rows (one
UPDATE numbers every new item, one INSERT writes them; an item may keep a code it brings,
as a map's export does, and its dimension's counter moves past it). It is all or nothing: the
boundary that commits the import commits every row of it, or none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import case, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.core import audit, clock, hooks
from app.core.errors import PermissionDenied, ValidationFailed
from app.core.permissions import authorize, can
from app.extensions import db
from app.issues.models import CLOSED, NEW, Category, Issue
from app.issues.service.items import _assign, _notify_assignment
from app.issues.service.rules import _require_work, require_open
from app.people.models import User
from app.people.roster import active_member_ids


@dataclass
class NewItem:
    """One item to create; the importer has checked its values row by row."""

    category: Category
    title: str
    description: str = ""
    solution: str = ""
    owner_id: int | None = None
    deadline: date | None = None
    priority: str = "medium"
    major: bool = False
    source: str = "other"
    # A code the item should keep (a map's export carries it): the caller has checked that
    # its prefix is the dimension's and that it is free here.
    code: str | None = None


def take_codes(categories: list[Category]) -> list[str]:
    """A code for one new item under each of ``categories``, in order (KH-001 …).

    One UPDATE … RETURNING takes every number the batch needs from the top-level
    dimensions, so that items created at the same time elsewhere get other numbers. It is
    no edit of a dimension: its version stays (see ``categories._next_code``).
    """
    if not categories:
        return []
    tops = _top_levels(categories)
    wanted = Counter(tops[category.id].id for category in categories)
    counter = Category.__table__.c
    taken = dict(
        db.session.execute(
            update(Category.__table__)
            .where(counter.id.in_(wanted))
            .values(next_number=counter.next_number + case(wanted, value=counter.id))
            .returning(counter.id, counter.next_number)
        ).all()
    )
    free = {top_id: taken[top_id] - n for top_id, n in wanted.items()}
    codes = []
    for category in categories:
        top = tops[category.id]
        codes.append(f"{top.code_prefix or 'GJ'}-{free[top.id]:03d}")
        free[top.id] += 1
    for top in {top.id: top for top in tops.values()}.values():
        set_committed_value(top, "next_number", taken[top.id])  # in step, not "changed"
    return codes


def _reserve_codes(rows: list[NewItem]) -> None:
    """Move each dimension's counter past the codes rows keep, so that the items numbered
    afterwards never take one of them: one UPDATE per dimension concerned."""
    wished = [row for row in rows if row.code]
    if not wished:
        return
    tops = _top_levels([row.category for row in wished])
    after: dict[int, int] = {}
    for row in wished:
        top_id = tops[row.category.id].id
        after[top_id] = max(after.get(top_id, 0), int(row.code.rsplit("-", 1)[1]) + 1)
    counter = Category.__table__.c
    for top_id, number in after.items():
        (value,) = db.session.execute(
            update(Category.__table__)
            .where(counter.id == top_id)
            .values(
                next_number=case((counter.next_number < number, number), else_=counter.next_number)
            )
            .returning(counter.next_number)
        ).one()
        top = next(top for top in tops.values() if top.id == top_id)
        set_committed_value(top, "next_number", value)


def _top_levels(categories: list[Category]) -> dict[int, Category]:
    """Each category's top-level dimension, by the category's id: one query at most."""
    top_ids = {category.id: int(category.path.strip("/").split("/")[0]) for category in categories}
    known = {category.id: category for category in categories}
    missing = set(top_ids.values()) - set(known)
    if missing:
        known.update(
            (category.id, category)
            for category in db.session.scalars(select(Category).where(Category.id.in_(missing)))
        )
    return {category_id: known[top_id] for category_id, top_id in top_ids.items()}


def _check_owners(actor: User, task_force_id: int, owner_ids: set) -> list[User]:
    """New owners are on the roster, and only the leaders give items to others. Returns
    the owners, read in one query: held by the caller, the messages that tell them find
    them in the session."""
    owner_ids.discard(None)
    if not owner_ids:
        return []
    if owner_ids - {actor.id} and not can(actor, "issue.manage", task_force_id):
        raise PermissionDenied(_("Only the leaders assign items to others."))
    if owner_ids - active_member_ids(task_force_id):
        raise ValidationFailed(_("The owner must be on the task force's roster."), "owner_id")
    return list(db.session.scalars(select(User).where(User.id.in_(owner_ids))))


def create_issues(
    actor: User, task_force_id: int, rows: list[NewItem], action: str = "imported"
) -> list[Issue]:
    """Create one item per row, numbered, assigned, told and audited (as ``action``).

    :raise PermissionDenied: unless the actor may create items here (and, for items given
        to others, is one of the leaders).
    :raise ValidationFailed: for an owner off the roster or a category of elsewhere.
    """
    authorize(actor, "issue.create", task_force_id)
    if any(row.category.task_force_id != task_force_id for row in rows):
        raise ValidationFailed(_("Choose a category."), "category_id")
    _owners = _check_owners(actor, task_force_id, {row.owner_id for row in rows})
    created = []
    _reserve_codes(rows)
    numbered = iter(take_codes([row.category for row in rows if not row.code]))
    for row in rows:
        code = row.code or next(numbered)
        issue = Issue(
            task_force_id=task_force_id,
            code=code,
            title=row.title,
            description=row.description,
            solution=row.solution,
            category_id=row.category.id,
            deadline=row.deadline,
            priority=row.priority,
            major=row.major,
            source=row.source,
            status=NEW,
            created_by_id=actor.id,
        )
        _assign(actor, issue, row.owner_id)
        created.append(issue)
    db.session.add_all(created)
    db.session.flush()
    for issue in created:
        audit.record(
            actor,
            action,
            issue,
            {"title": [None, issue.title]},
            summary=f"{issue.code} {issue.title}",
        )
        _notify_assignment(actor, issue)
        hooks.ITEM_EVENTS.collect(hooks.ItemEvent("created", actor, issue))
    return created


def close_imported(actor: User, items: list[Issue], note: str, action: str = "imported") -> None:
    """Close new items that an imported file marks closed, with ``note`` as what was
    verified. The workflow's own moves need an owner who acknowledged the item, which an
    item born closed has not: this is the one way around them, for the leaders only, and
    audited like a status change.

    :raise PermissionDenied: unless the actor is one of the task force's leaders.
    """
    for task_force_id in {issue.task_force_id for issue in items}:
        authorize(actor, "issue.manage", task_force_id)
    now = clock.now()
    for issue in items:
        previous = issue.status
        issue.status = CLOSED
        issue.closed_at = now
        issue.closed_by_id = actor.id
        issue.verification_note = note
        issue.percent = 100
        audit.record(
            actor,
            action,
            issue,
            {"status": [previous, CLOSED], "verification_note": [None, note]},
            summary=f"{issue.code} {issue.title}",
        )
        moved = {"from": previous, "to": CLOSED, "reason": ""}
        hooks.ITEM_EVENTS.collect(hooks.ItemEvent("status_changed", actor, issue, moved))
        hooks.ITEM_EVENTS.collect(hooks.ItemEvent("closed", actor, issue, moved))


def update_issues(
    actor: User, updates: list[tuple[Issue, dict]], action: str = "imported"
) -> list[Issue]:
    """Give each item its new ``values`` (columns by name; ``owner_id`` reassigns it and
    tells the new owner), audited as ``action``. Returns the items that changed.

    :raise PermissionDenied: unless the actor may work on every item that changes.
    :raise InvalidTransition: for a change of a closed or dropped item.
    """
    for issue, values in updates:
        if any(getattr(issue, key) != value for key, value in values.items()):
            _require_work(actor, issue)
            require_open(issue)
    _owners: list[User] = []
    for task_force_id in {issue.task_force_id for issue, _values in updates}:
        new_owner_ids = {
            values["owner_id"]
            for issue, values in updates
            if issue.task_force_id == task_force_id
            and "owner_id" in values
            and values["owner_id"] != issue.owner_id
        }
        _owners += _check_owners(actor, task_force_id, new_owner_ids)
    changed = []
    for issue, values in updates:
        values = dict(values)
        owner_id = values.pop("owner_id", issue.owner_id)
        changes = audit.apply_changes(issue, values)
        if owner_id != issue.owner_id:
            changes["owner_id"] = [issue.owner_id, owner_id]
            _assign(actor, issue, owner_id)
            _notify_assignment(actor, issue)
        if changes:
            audit.record(actor, action, issue, changes, summary=f"{issue.code} {issue.title}")
            changed.append(issue)
    return changed
