"""The mind map: its data with counts and lights, map import (preview, then apply) and export.

Import keeps the parsed tree of an upload on the server between the preview and the
apply request: a JSON file under ``instance/mindmap-imports/<token>.json`` holding the
tree, the user and the task force. The browser only sends the random token back, so it
can neither alter the tree nor apply someone else's preview. Apply compares the stored
tree with the database again (the preview may be minutes old) and writes everything in
one transaction.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from app.core import audit, clock
from app.core.errors import NotFound, ValidationFailed
from app.core.permissions import authorize
from app.core.sheets import size_text
from app.extensions import db
from app.issues import service as issues
from app.issues.labels import STATUS_LABELS
from app.issues.lights import LightRules, light_expression
from app.issues.models import (
    DROPPED,
    FINISHED_STATUSES,
    GREEN,
    GREY,
    RED,
    YELLOW,
    Category,
    Issue,
)
from app.mindmap.formats import Limits, MapFileError, MapNode, read_map
from app.people.models import User

LIGHT_RANK = {GREY: 0, GREEN: 1, YELLOW: 2, RED: 3}
RANK_LIGHT = {v: k for k, v in LIGHT_RANK.items()}
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_LIFETIME = timedelta(hours=2)
ISSUES_PER_NODE = 100


# --- the map's data ------------------------------------------------------------------------


def map_data(actor: User, task_force_id: int) -> dict:
    """The category tree with each node's counts and worst light: three grouped queries."""
    authorize(actor, "mindmap.view", task_force_id)
    rows = issues.category_tree(task_force_id, include_archived=False)
    rules = LightRules.current()
    lights = (
        select(Issue.category_id.label("category_id"), light_expression(rules).label("light"))
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
        node = MapNode(title=category.name, note=category.description or "")
        for issue in items.get(category.id, []):
            node.children.append(
                MapNode(
                    title=issue.title,
                    note=issue.description or "",
                    priority=issue.priority,
                    code=issue.code,
                    status=statuses.get(issue.status, issue.status),
                )
            )
        nodes[category.id] = node
        parent = nodes.get(category.parent_id) if category.parent_id else root
        if parent is not None:
            parent.children.append(node)
    return root


# --- import --------------------------------------------------------------------------------


@dataclass
class PreviewRow:
    kind: str  # "category" or "issue"
    path: tuple[str, ...]
    # "new", "changed", "unchanged"; "locked": a closed or dropped item the map would
    # change, left as it is (it is read-only until reopened).
    state: str
    changes: list[str] = field(default_factory=list)
    depth: int = 0


@dataclass
class RemovedRow:
    kind: str
    path: tuple[str, ...]
    code: str = ""


@dataclass
class Plan:
    rows: list[PreviewRow]
    removed: list[RemovedRow]
    # What apply does, in tree order: (row, map node).
    steps: list[tuple[PreviewRow, MapNode]]

    def count(self, kind: str, state: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind and r.state == state)

    @property
    def has_changes(self) -> bool:
        return any(r.state in ("new", "changed") for r in self.rows)


@dataclass
class Preview:
    token: str
    filename: str
    root_title: str
    plan: Plan


def _limits() -> Limits:
    config = current_app.config
    return Limits(
        max_entries=config["MINDMAP_ZIP_MAX_ENTRIES"],
        max_uncompressed=config["MINDMAP_ZIP_MAX_BYTES"],
        max_nodes=config["MINDMAP_MAX_NODES"],
        max_depth=config["MINDMAP_MAX_DEPTH"],
        max_note=config["MINDMAP_MAX_NOTE_CHARS"],
    )


def _import_dir() -> Path:
    folder = Path(current_app.instance_path) / "mindmap-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _existing(task_force_id: int):
    """Categories by path of names and items by (category path, title): two queries."""
    categories = list(
        db.session.scalars(select(Category).where(Category.task_force_id == task_force_id))
    )
    by_id = {c.id: c for c in categories}
    paths: dict[int, tuple[str, ...]] = {}

    def path_of(category: Category) -> tuple[str, ...]:
        if category.id not in paths:
            parent = by_id.get(category.parent_id) if category.parent_id else None
            paths[category.id] = (path_of(parent) if parent else ()) + (category.name,)
        return paths[category.id]

    by_path: dict[tuple[str, ...], Category] = {}
    for category in sorted(categories, key=lambda c: (c.depth, c.sort_order, c.id)):
        by_path.setdefault(path_of(category), category)
    # Plain rows: a framework of 10,000 items need not become 10,000 ORM objects.
    items: dict[tuple[tuple[str, ...], str], Any] = {}
    for issue in db.session.execute(
        select(
            Issue.id,
            Issue.code,
            Issue.title,
            Issue.category_id,
            Issue.description,
            Issue.priority,
            Issue.status,
        )
        .where(Issue.task_force_id == task_force_id)
        .order_by(Issue.id)
    ):
        category = by_id.get(issue.category_id)
        if category is not None:
            items.setdefault((path_of(category), issue.title), issue)
    return by_path, items


def plan_import(task_force_id: int, root: MapNode) -> Plan:
    by_path, items = _existing(task_force_id)
    rows: list[PreviewRow] = []
    steps: list[tuple[PreviewRow, MapNode]] = []
    seen_categories: set[tuple[str, ...]] = set()
    seen_items: set[tuple[tuple[str, ...], str]] = set()

    def walk(node: MapNode, parent_path: tuple[str, ...]) -> None:
        path = parent_path + (node.title[:100],)
        depth = len(path)
        is_item = (
            depth >= 2 and not node.children and (node.code is not None or path not in by_path)
        )
        if is_item:
            title = node.title[:200]
            key = (parent_path, title)
            if key in seen_items:
                return
            seen_items.add(key)
            issue = items.get(key)
            changes = []
            if issue is not None:
                if node.note and node.note != issue.description:
                    changes.append("description")
                if node.priority and node.priority != issue.priority:
                    changes.append("priority")
            state = "new" if issue is None else "changed" if changes else "unchanged"
            if state == "changed" and issue.status in FINISHED_STATUSES:
                state = "locked"
            row = PreviewRow("issue", parent_path + (title,), state, changes, depth)
            rows.append(row)
            steps.append((row, node))
            return
        if path not in seen_categories:
            seen_categories.add(path)
            category = by_path.get(path)
            changes = []
            if category is not None:
                if node.note and node.note != category.description:
                    changes.append("description")
                if category.archived:
                    changes.append("archived")
            state = "new" if category is None else "changed" if changes else "unchanged"
            row = PreviewRow("category", path, state, changes, depth)
            rows.append(row)
            steps.append((row, node))
        for child in node.children:
            walk(child, path)

    for child in root.children:
        walk(child, ())
    removed = [
        RemovedRow("category", path)
        for path, category in by_path.items()
        if path not in seen_categories and not category.archived
    ]
    removed += [
        RemovedRow("issue", path + (title,), issue.code)
        for (path, title), issue in items.items()
        if (path, title) not in seen_items and issue.status != DROPPED
    ]
    return Plan(rows=rows, removed=removed, steps=steps)


def preview_import(actor: User, task_force_id: int, filename: str, data: bytes) -> Preview:
    """Read an upload and compare it with the framework; nothing is written to the database.

    :raise ValidationFailed: for a file that is too big, damaged, of the wrong type or empty.
    """
    authorize(actor, "mindmap.import", task_force_id)
    if len(data) > current_app.config["MINDMAP_MAX_UPLOAD_BYTES"]:
        raise ValidationFailed(
            _(
                "The file is larger than %(size)s.",
                size=size_text(current_app.config["MINDMAP_MAX_UPLOAD_BYTES"]),
            ),
            "file",
        )
    try:
        root = read_map(filename, data, _limits())
    except MapFileError as error:
        raise ValidationFailed(error.message, "file") from None
    _sweep()
    token = secrets.token_hex(16)
    record = {
        "user_id": actor.id,
        "task_force_id": task_force_id,
        "created": clock.now().isoformat(),
        "filename": filename[:200],
        "tree": root.to_dict(),
    }
    (_import_dir() / f"{token}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    return Preview(token, filename, root.title, plan_import(task_force_id, root))


def _sweep() -> None:
    """Forget previews nobody applied."""
    cutoff = clock.now().timestamp() - PREVIEW_LIFETIME.total_seconds()
    for path in _import_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def _load_stored(actor: User, task_force_id: int, token: str) -> tuple[Path, dict]:
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise NotFound("no such import")
    path = _import_dir() / f"{token}.json"
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        raise NotFound("no such import") from None
    if record.get("user_id") != actor.id or record.get("task_force_id") != task_force_id:
        raise NotFound("no such import")
    created = datetime.fromisoformat(record["created"])
    if clock.now() - created > PREVIEW_LIFETIME:
        path.unlink(missing_ok=True)
        raise ValidationFailed(_("This preview has expired. Upload the file again."))
    return path, record


def stored_preview(actor: User, task_force_id: int, token: str) -> Preview:
    authorize(actor, "mindmap.import", task_force_id)
    _path, record = _load_stored(actor, task_force_id, token)
    root = MapNode.from_dict(record["tree"])
    return Preview(token, record["filename"], root.title, plan_import(task_force_id, root))


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def _free_prefix(task_force_id: int, taken: set[str]) -> str:
    n = 0
    while f"M{_letters(n)}" in taken:
        n += 1
    prefix = f"M{_letters(n)}"
    taken.add(prefix)
    return prefix


def apply_import(actor: User, task_force_id: int, token: str) -> dict[str, int]:
    """Create and update what the stored preview shows, in one transaction.

    Removed nodes are never deleted or archived here; the preview lists them.
    """
    authorize(actor, "mindmap.import", task_force_id)
    path, record = _load_stored(actor, task_force_id, token)
    root = MapNode.from_dict(record["tree"])
    plan = plan_import(task_force_id, root)
    by_path, item_map = _existing(task_force_id)
    taken = set(
        db.session.scalars(
            select(Category.code_prefix).where(
                Category.task_force_id == task_force_id, Category.code_prefix.is_not(None)
            )
        )
    )
    created: dict[tuple[str, ...], Category] = {}
    counts = {"categories": 0, "issues": 0, "updated": 0}
    changed_ids = [
        item_map[(row.path[:-1], row.path[-1])].id
        for row, _node in plan.steps
        if row.kind == "issue" and row.state == "changed"
    ]
    changed_issues = {
        issue.id: issue
        for issue in db.session.scalars(select(Issue).where(Issue.id.in_(changed_ids)))
    }
    new_items: list[issues.NewItem] = []
    updates: list[tuple[Issue, dict]] = []
    for row, node in plan.steps:
        parent_path = row.path[:-1]
        parent = created.get(parent_path) or by_path.get(parent_path)
        if row.kind == "category":
            _apply_category(actor, task_force_id, row, node, parent, by_path, created, taken)
            if row.state in ("new", "changed"):
                counts["categories" if row.state == "new" else "updated"] += 1
        elif row.state == "new":
            new_items.append(
                issues.NewItem(
                    category=parent,
                    title=row.path[-1],
                    description=node.note,
                    priority=node.priority or "medium",
                )
            )
        elif row.state == "changed":
            values = {}
            if "description" in row.changes:
                values["description"] = node.note
            if "priority" in row.changes:
                values["priority"] = node.priority
            updates.append((changed_issues[item_map[(parent_path, row.path[-1])].id], values))
    # The problem list's own services number, assign and audit the items, in a batch.
    issues.create_issues(actor, task_force_id, new_items)
    issues.update_issues(actor, updates)
    counts["issues"] += len(new_items)
    counts["updated"] += len(updates)
    db.session.flush()  # refused rows refuse here, before the preview goes
    path.unlink(missing_ok=True)
    return counts


def _apply_category(actor, task_force_id, row, node, parent, by_path, created, taken) -> None:
    """One category step of an import: a new category, or a changed one's new values."""
    if row.state == "new":
        category = _new_category(task_force_id, parent, node, taken)
        audit.record(
            actor, "imported", category, {"name": [None, category.name]}, summary=category.name
        )
        created[row.path] = category
    elif row.state == "changed":
        category = by_path[row.path]
        values = {}
        if "description" in row.changes:
            values["description"] = node.note
        if "archived" in row.changes:
            values["archived_at"] = None
        changes = audit.apply_changes(category, values)
        audit.record(actor, "imported", category, changes, summary=category.name)


def _new_category(
    task_force_id: int, parent: Category | None, node: MapNode, taken: set[str]
) -> Category:
    category = Category(
        task_force_id=task_force_id,
        parent_id=parent.id if parent else None,
        name=node.title[:100],
        description=node.note,
        # Top-level dimensions number their items; an imported one gets a free prefix.
        code_prefix=None if parent else _free_prefix(task_force_id, taken),
        sort_order=issues.next_sort_order(task_force_id, parent),
        depth=(parent.depth + 1) if parent else 0,
    )
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    db.session.flush()
    return category


def discard_preview(actor: User, task_force_id: int, token: str) -> None:
    path, _record = _load_stored(actor, task_force_id, token)
    path.unlink(missing_ok=True)
