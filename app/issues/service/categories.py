"""Categories (the dimensions of the framework and their sub-categories) and the numbering
of the items filed under them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.core import audit, clock
from app.core.errors import ValidationFailed
from app.core.permissions import authorize
from app.core.service import check_version
from app.core.tree import depth_first, indented_options
from app.extensions import db
from app.issues.models import CLOSED, DROPPED, OPEN_STATUSES, Category, Issue
from app.issues.service.rules import _db_get
from app.people.models import User


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


def create_category(
    actor: User, task_force_id: int, data: CategoryInput, action: str = "created"
) -> Category:
    """A new category, audited as ``action`` (an import says "imported")."""
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
    audit.record(actor, action, category, {"name": [None, category.name]}, summary=category.name)
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
    db.session.flush()  # a save that lost a race is refused here, on the form (StaleEdit)
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
    sums = subtree_sums({row.category.id: row.category.path for row in rows}, direct, 2)
    for row in rows:
        row.total, row.closed = sums[row.category.id]
        row.open = row.total - row.closed
    return rows


def subtree_sums(
    paths: Mapping[int, str], direct: Mapping[int, Sequence[int]], width: int
) -> dict[int, list[int]]:
    """Each category's ``width`` figures over its subtree: a category's own (``direct``,
    by id) count for it and for every ancestor on its path among ``paths`` (the
    categories shown, by id: their paths)."""
    sums = {category_id: [0] * width for category_id in paths}
    for category_id, path in paths.items():
        own = direct.get(category_id)
        if not own:
            continue
        for ancestor_id in path.strip("/").split("/"):
            ancestor = sums.get(int(ancestor_id))
            if ancestor is not None:
                for i, count in enumerate(own):
                    ancestor[i] += count
    return sums


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


def category_options(task_force_id: int, exclude_path: str | None = None) -> list[tuple[int, str]]:
    """(id, indented name) of the open categories in tree order: one query, for selects."""
    # The columns the tree and the labels need, not the categories as objects.
    categories = [
        c
        for c in db.session.execute(
            select(
                Category.id, Category.parent_id, Category.name, Category.path, Category.sort_order
            ).where(Category.task_force_id == task_force_id, Category.archived_at.is_(None))
        )
        if not (exclude_path and c.path.startswith(exclude_path))
    ]
    return indented_options(depth_first(categories, _category_order), lambda c: c.name)
