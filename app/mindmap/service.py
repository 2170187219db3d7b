"""The mind map: its data with counts and lights, and its export.

Map import (preview, then apply) lives in ``imports.py``, its plan in ``plan.py``.
"""

from __future__ import annotations

from sqlalchemy import case, func, select

from app.core.permissions import authorize
from app.extensions import db
from app.issues import service as issues
from app.issues.labels import STATUS_LABELS
from app.issues.lights import LightRules, light_expression
from app.issues.models import (
    CLOSED,
    DROPPED,
    GREEN,
    GREY,
    RED,
    YELLOW,
    Category,
    Issue,
)
from app.mindmap.formats import MapNode
from app.people.models import User

LIGHT_RANK = {GREY: 0, GREEN: 1, YELLOW: 2, RED: 3}
RANK_LIGHT = {v: k for k, v in LIGHT_RANK.items()}
ISSUES_PER_NODE = 100


# --- the map's data ------------------------------------------------------------------------


def map_data(actor: User, task_force_id: int) -> dict:
    """The category tree with each node's counts and worst light: three grouped queries."""
    authorize(actor, "mindmap.view", task_force_id)
    rows = issues.category_tree(task_force_id, include_archived=False)
    rules = LightRules.current()
    lights = (
        select(
            Issue.category_id.label("category_id"),
            light_expression(rules, per_item=False).label("light"),
        )
        .where(Issue.task_force_id == task_force_id, Issue.status != DROPPED)
        .subquery()
    )
    rank = case(
        (lights.c.light == RED, 3),
        (lights.c.light == YELLOW, 2),
        (lights.c.light == GREEN, 1),
        else_=0,
    )
    worst = dict(
        db.session.execute(
            select(lights.c.category_id, func.max(rank)).group_by(lights.c.category_id)
        ).all()
    )
    by_id = {row.category.id: row for row in rows}
    subtree_worst: dict[int, int] = {}
    for row in rows:
        own = worst.get(row.category.id)
        if own is None:
            continue
        for ancestor in row.category.path.strip("/").split("/"):
            ancestor_id = int(ancestor)
            if ancestor_id in by_id:
                subtree_worst[ancestor_id] = max(subtree_worst.get(ancestor_id, -1), own)
    has_children = {row.category.parent_id for row in rows}
    nodes = [
        {
            "id": row.category.id,
            "parent": row.category.parent_id,
            "name": row.category.name,
            "total": row.total,
            "closed": row.closed,
            "light": RANK_LIGHT.get(subtree_worst.get(row.category.id, -1), ""),
            "leaf": row.category.id not in has_children,
            "depth": row.depth,
        }
        for row in rows
    ]
    return {"nodes": nodes}


def category_issues(actor: User, category: Category) -> dict:
    """The items filed directly under one category, with lights: one query."""
    authorize(actor, "mindmap.view", category.task_force_id)
    rules = LightRules.current()
    rows = db.session.execute(
        select(Issue.id, Issue.code, Issue.title, Issue.status, light_expression(rules))
        .where(Issue.task_force_id == category.task_force_id, Issue.category_id == category.id)
        .order_by(Issue.id)
        .limit(ISSUES_PER_NODE + 1)
    ).all()
    return {
        "issues": [
            {"id": r[0], "code": r[1], "title": r[2], "status": r[3], "light": r[4]}
            for r in rows[:ISSUES_PER_NODE]
        ],
        "more": len(rows) > ISSUES_PER_NODE,
    }


# --- export --------------------------------------------------------------------------------


def framework(actor: User, task_force) -> MapNode:
    """The open categories with their items and statuses, as one tree: two queries."""
    authorize(actor, "issue.export", task_force.id)
    categories = list(
        db.session.scalars(
            select(Category).where(
                Category.task_force_id == task_force.id, Category.archived_at.is_(None)
            )
        )
    )
    # Plain rows, not ORM objects: an export of 10,000 items should not build 10,000 of them.
    items: dict[int, list] = {}
    for row in db.session.execute(
        select(
            Issue.category_id,
            Issue.code,
            Issue.title,
            Issue.description,
            Issue.priority,
            Issue.status,
        )
        .where(Issue.task_force_id == task_force.id)
        .order_by(Issue.id)
    ):
        items.setdefault(row.category_id, []).append(row)
    statuses = {k: str(v) for k, v in STATUS_LABELS.items()}
    root = MapNode(title=task_force.name)
    nodes: dict[int, MapNode] = {}
    # Items before sub-categories, as a Markdown outline must have them.
    for category, _depth in issues.depth_first(categories, issues._category_order):
        # Marked as a category with its id: an empty one stays a category, and a renamed
        # one is matched again when the map comes back.
        node = MapNode(
            title=category.name,
            note=category.description or "",
            kind="category",
            ref=str(category.id),
        )
        for issue in items.get(category.id, []):
            node.children.append(
                MapNode(
                    title=issue.title,
                    note=issue.description or "",
                    priority=issue.priority,
                    code=issue.code,
                    status=statuses.get(issue.status, issue.status),
                    kind="item",
                    done=issue.status == CLOSED,
                )
            )
        nodes[category.id] = node
        parent = nodes.get(category.parent_id) if category.parent_id else root
        if parent is not None:
            parent.children.append(node)
    return root
