"""What an uploaded map would change in a task force's framework: the import plan.

Every topic of the map becomes one row, even two siblings of the same title. A category
row is matched to an existing category by the id an export writes (``ref``), else by its
name under its matched parent. An item row is matched to an existing item, in this order:

1. ``code``: by the item code an export writes, when an item of that code exists here
   and is either of the same title or filed under the same category (a map of another
   task force whose codes happen to exist here does not overwrite unrelated items);
2. ``title``: by its category and title, when exactly one topic and one item have them;
3. ``position``: among topics and items of the same category and title, the n-th topic
   of the map is the n-th item (by id).

A new item keeps the file's code when the code's prefix is its dimension's and the code
is free here; else it is numbered anew, and the row says so. Nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.issues.labels import STATUS_LABELS
from app.issues.models import CLOSED, DROPPED, FINISHED_STATUSES, Category, Issue
from app.mindmap.formats import CODE_RE, MapNode

TITLE_MAX = 200  # Issue.title
NAME_MAX = 100  # Category.name
DEFAULT_PREFIX = "GJ"  # what take_codes numbers under a dimension without a prefix


@dataclass
class PreviewRow:
    kind: str  # "category" or "issue"
    path: tuple[str, ...]  # the map's titles down to this topic
    # "new", "changed", "unchanged"; "locked": a closed or dropped item the map would
    # change, left as it is (it is read-only until reopened).
    state: str = "new"
    changes: list[str] = field(default_factory=list)
    depth: int = 0
    # How it was matched: "code", "title", "position" (items), "ref", "path" (categories);
    # "" for a new row.
    rule: str = ""
    target_id: int | None = None  # the matched category's or item's id
    parent: int | None = None  # the index of the category row it goes under
    top: int | None = None  # the index of its top-level category row
    title: str = ""  # the title or name it gets, cut to the field's limit
    description: str = ""  # the note, after a long title's full text
    priority: str | None = None
    long: bool = False  # the title was longer than the field: the rest is in the description
    code: str | None = None  # a new item: the file's code it keeps
    renumbered: str | None = None  # a new item: the file's code it cannot keep
    closed: bool = False  # an item closed (done) in the file
    prefix: str | None = None  # a new top-level category: the file's code prefix it takes


@dataclass
class RemovedRow:
    kind: str
    path: tuple[str, ...]
    code: str = ""


@dataclass
class Plan:
    rows: list[PreviewRow]
    removed: list[RemovedRow]

    def count(self, kind: str, state: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind and r.state == state)

    def matched(self, rule: str) -> int:
        return sum(1 for r in self.rows if r.rule == rule)

    @property
    def has_changes(self) -> bool:
        return any(r.state in ("new", "changed") for r in self.rows)

    @property
    def closed_new(self) -> int:
        """New items the file marks closed (created closed when the importer asks)."""
        return sum(1 for r in self.rows if r.kind == "issue" and r.state == "new" and r.closed)

    @property
    def renumbered(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.renumbered]

    @property
    def long_titles(self) -> int:
        return sum(1 for r in self.rows if r.long and r.state in ("new", "changed"))

    def planned_prefixes(self) -> set[str]:
        return {r.prefix for r in self.rows if r.prefix}


def closed_labels() -> frozenset[str]:
    """The words an export writes for a closed item, in either language."""
    words = {CLOSED}
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            words.add(str(STATUS_LABELS[CLOSED]))
    return frozenset(words)


def fitted(text: str, note: str, limit: int) -> tuple[str, str, bool]:
    """(title, description, long): a title over ``limit`` is cut, its full text put first
    in the description, unless the description already starts with it."""
    if len(text) <= limit:
        return text, note, False
    if note.startswith(text):
        return text[:limit], note, True
    return text[:limit], f"{text}\n\n{note}" if note else text, True


class _Existing:
    """The task force's categories and items, read in two queries."""

    def __init__(self, task_force_id: int):
        categories = list(
            db.session.scalars(select(Category).where(Category.task_force_id == task_force_id))
        )
        self.categories = {c.id: c for c in categories}
        self.children: dict[tuple[int | None, str], list[Category]] = defaultdict(list)
        for category in sorted(categories, key=lambda c: (c.sort_order, c.id)):
            self.children[(category.parent_id, category.name)].append(category)
        self.prefixes = {c.code_prefix for c in categories if c.code_prefix}
        # Plain rows: a framework of 10,000 items need not become 10,000 ORM objects.
        self.items = {
            row.id: row
            for row in db.session.execute(
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
            )
        }
        self.by_code = {row.code: row for row in self.items.values()}
        self.by_place: dict[tuple[int, str], list] = defaultdict(list)
        for row in self.items.values():
            self.by_place[(row.category_id, row.title)].append(row)
        self._paths: dict[int, tuple[str, ...]] = {}

    def path(self, category_id: int | None) -> tuple[str, ...]:
        if category_id is None or category_id not in self.categories:
            return ()
        if category_id not in self._paths:
            category = self.categories[category_id]
            self._paths[category_id] = self.path(category.parent_id) + (category.name,)
        return self._paths[category_id]

    def top_prefix(self, category_id: int) -> str:
        category = self.categories[category_id]
        while category.parent_id is not None and category.parent_id in self.categories:
            category = self.categories[category.parent_id]
        return category.code_prefix or DEFAULT_PREFIX


class _Planner:
    def __init__(self, task_force_id: int, root: MapNode):
        self.existing = _Existing(task_force_id)
        self.root = root
        self.rows: list[PreviewRow] = []
        self.claimed_categories: set[int] = set()
        self.claimed_items: set[int] = set()
        self.items: list[tuple[int, MapNode]] = []  # (row index, node) of every item row
        self.closed_words = closed_labels()
        self.kept_codes: set[str] = set()  # file codes new items keep
        # Categories the map names by id: matched by it, never by name to another topic.
        self.reserved = {
            int(node.ref)
            for node, _level in root.walk()
            if node.ref and node.ref.isdigit() and int(node.ref) in self.existing.categories
        }

    def plan(self) -> Plan:
        for child in self.root.children:
            self._walk(child, None, 1)
        self._match_items()
        for index, node in self.items:
            self._judge_item(self.rows[index], node)
        return Plan(rows=self.rows, removed=self._removed())

    # --- the tree, categories first --------------------------------------------------------

    def _walk(self, node: MapNode, parent: int | None, depth: int) -> None:
        parent_row = self.rows[parent] if parent is not None else None
        path = (parent_row.path if parent_row else ()) + (node.title,)
        # The existing category the topic's parent is, if any; a new one has no children yet.
        known = parent_row is None or parent_row.target_id is not None
        parent_id = parent_row.target_id if parent_row else None
        top = parent_row.top if parent_row else len(self.rows)
        row = PreviewRow("category", path, depth=depth, parent=parent, top=top)
        self.rows.append(row)
        index = len(self.rows) - 1
        if not self._is_category(node, depth, known, parent_id):
            row.kind = "issue"
            row.title, row.description, row.long = fitted(node.title, node.note, TITLE_MAX)
            row.priority = node.priority
            row.closed = node.done or (node.status or "").strip() in self.closed_words
            self.items.append((index, node))
            return
        row.title, row.description, row.long = fitted(node.title, node.note, NAME_MAX)
        if known:
            self._match_category(row, node, parent_id)
        self._judge_category(row)
        for child in node.children:
            self._walk(child, index, depth + 1)

    def _is_category(self, node: MapNode, depth: int, known: bool, parent_id) -> bool:
        if depth == 1 or node.kind == "category" or node.ref or node.children:
            return True
        if node.kind == "item" or node.code:
            return False
        # A bare leaf: a category only where one of that name waits under the parent.
        name = node.title[:NAME_MAX]
        return known and any(
            c.id not in self.claimed_categories and c.id not in self.reserved
            for c in self.existing.children.get((parent_id, name), [])
        )

    def _match_category(self, row: PreviewRow, node: MapNode, parent_id: int | None) -> None:
        if node.ref and node.ref.isdigit():
            category = self.existing.categories.get(int(node.ref))
            if (
                category is not None
                and category.id not in self.claimed_categories
                and category.parent_id == parent_id
            ):
                self.claimed_categories.add(category.id)
                row.target_id, row.rule = category.id, "ref"
                return
        for category in self.existing.children.get((parent_id, row.title), []):
            if category.id not in self.claimed_categories and category.id not in self.reserved:
                self.claimed_categories.add(category.id)
                row.target_id, row.rule = category.id, "path"
                return

    def _judge_category(self, row: PreviewRow) -> None:
        if row.target_id is None:
            row.state = "new"
            return
        category = self.existing.categories[row.target_id]
        if row.title != category.name:
            row.changes.append("name")
        if row.description and row.description != category.description:
            row.changes.append("description")
        if category.archived:
            row.changes.append("archived")
        row.state = "changed" if row.changes else "unchanged"

    # --- items -----------------------------------------------------------------------------

    def _parent_id(self, row: PreviewRow) -> int | None:
        return self.rows[row.parent].target_id if row.parent is not None else None

    def _match_items(self) -> None:
        existing = self.existing
        unmatched = []
        for index, node in self.items:
            row = self.rows[index]
            parent_id = self._parent_id(row)
            found = existing.by_code.get(node.code) if node.code else None
            if (
                found is not None
                and found.id not in self.claimed_items
                and (found.title == row.title or found.category_id == parent_id)
            ):
                self.claimed_items.add(found.id)
                row.target_id, row.rule = found.id, "code"
            elif parent_id is not None:
                unmatched.append(index)
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for index in unmatched:
            row = self.rows[index]
            groups[(self._parent_id(row), row.title)].append(index)
        for key, indexes in groups.items():
            candidates = [
                r for r in existing.by_place.get(key, []) if r.id not in self.claimed_items
            ]
            rule = "title" if len(candidates) == 1 and len(indexes) == 1 else "position"
            for index, found in zip(indexes, candidates, strict=False):
                self.claimed_items.add(found.id)
                self.rows[index].target_id, self.rows[index].rule = found.id, rule

    def _judge_item(self, row: PreviewRow, node: MapNode) -> None:
        if row.target_id is None:
            row.state = "new"
            self._keep_code(row, node)
            return
        item = self.existing.items[row.target_id]
        parent = self.rows[row.parent]
        if row.title != item.title:
            row.changes.append("title")
        if parent.target_id != item.category_id:
            row.changes.append("category")
        if row.description and row.description != item.description:
            row.changes.append("description")
        if row.priority and row.priority != item.priority:
            row.changes.append("priority")
        row.state = "changed" if row.changes else "unchanged"
        if row.state == "changed" and item.status in FINISHED_STATUSES:
            row.state = "locked"

    def _keep_code(self, row: PreviewRow, node: MapNode) -> None:
        """A new item keeps the file's code where it fits its dimension and is free."""
        code = node.code
        if not code:
            return
        if not CODE_RE.match(code) or code in self.existing.by_code or code in self.kept_codes:
            row.renumbered = code
            return
        prefix = code.rsplit("-", 1)[0]
        top = self.rows[row.top]
        if top.target_id is not None:
            wanted = self.existing.top_prefix(top.target_id)
        else:
            if top.prefix is None and prefix not in self.existing.prefixes | self._prefixes():
                top.prefix = prefix  # a new dimension takes the file's prefix while free
            wanted = top.prefix
        if prefix == wanted:
            row.code = code
            self.kept_codes.add(code)
        else:
            row.renumbered = code

    def _prefixes(self) -> set[str]:
        return {r.prefix for r in self.rows if r.prefix}

    def _removed(self) -> list[RemovedRow]:
        existing = self.existing
        removed = sorted(
            (
                RemovedRow("category", existing.path(category.id))
                for category in existing.categories.values()
                if category.id not in self.claimed_categories and not category.archived
            ),
            key=lambda r: r.path,
        )
        removed += [
            RemovedRow("issue", existing.path(item.category_id) + (item.title,), item.code)
            for item in existing.items.values()
            if item.id not in self.claimed_items and item.status != DROPPED
        ]
        return removed


def plan_import(task_force_id: int, root: MapNode) -> Plan:
    """Compare a map with the task force's framework: two queries, nothing written."""
    return _Planner(task_force_id, root).plan()
