"""XMind 8 (content.xml): one sheet's tree, every sheet's title, and what is left out."""

from __future__ import annotations

import re

from app.mindmap.formats.base import (
    CODE_RE,
    Limits,
    MapFile,
    MapFileError,
    MapNode,
    _clean_title,
    _first,
    _messages,
    _priority_from_number,
    _stream,
    _text_of,
    _Tree,
)

# A category's topic id as the export writes it (XMind keeps a topic's id when it saves);
# one with no id yet is ``gongjian-category-x`` and a unique tail.
CATEGORY_ID = re.compile(r"gongjian-category-(?:(\d+)|x[0-9a-f]+)$")

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


# The kinds of topic lists (``<topics type=…>``) an import leaves out, by the count they add to.
LEFT_TOPICS = {"detached": "floating", "summary": "summaries", "callout": "callouts"}


def read_labels(node: MapNode, labels: list[str]) -> int:
    """An exported item carries its code as a label, and its status as the next one.
    Returns how many labels that used."""
    labels = [label.strip() for label in labels if label.strip()]
    for index, label in enumerate(labels):
        if CODE_RE.match(label):
            node.code, node.kind = label, node.kind or "item"
            if index + 1 < len(labels):
                node.status = labels[index + 1]
                return 2
            return 1
    return 0


def read_marker(node: MapNode, marker_id) -> bool:
    """Take a marker: a priority, or done (``task-done``). False when it is neither."""
    if not isinstance(marker_id, str):
        return False
    if marker_id == "task-done":
        node.done = True
        return True
    if marker_id.startswith("priority-") and node.priority is None:
        try:
            node.priority = _priority_from_number(int(marker_id.split("-", 1)[1]))
        except ValueError:
            return False
        return True
    return False


class _Sheets:
    """The sheets met so far: their titles and, for the ones not read, their topics."""

    def __init__(self, chosen: int):
        self.chosen = chosen
        self.index = -1
        self.titles: list[str] = []
        self.topics: list[int] = []

    def start(self) -> None:
        self.index += 1
        self.titles.append("")
        self.topics.append(0)

    @property
    def reading(self) -> bool:
        return self.index == self.chosen


def read_xmind8(content: bytes, limits: Limits, sheet: int = 0) -> tuple[MapFile, set[str]]:
    """Sheet ``sheet``'s central topic and its attached topics; and the ids of those topics
    (the comments on them are counted from comments.xml)."""
    _ = _messages()
    tree = _Tree(limits)
    left = tree.omitted
    sheets = _Sheets(sheet)
    root = None
    ids: set[str] = set()
    parts = frozenset({"title", "notes", "marker-refs", "labels"})
    for event, element, stack in _stream(content, limits, parts):
        entry = stack[-1]
        owner = stack[-2] if len(stack) > 1 else None  # the element this one is in
        if event == "start":
            if entry.name == "sheet" and len(stack) == 2:
                sheets.start()
            elif entry.name == "topic" and owner is not None and not entry.whole:
                if owner.name == "sheet" and len(stack) == 3:
                    if sheets.reading and root is None:
                        entry.level = 1
                        root = entry.node = tree.node(1)
                        _topic_start(tree, entry, element, ids)
                    elif not sheets.reading:
                        entry.left = "sheet"
                        sheets.topics[sheets.index] += 1
                elif owner.name == "topics" and len(stack) > 3 and stack[-3].name == "children":
                    _child_topic(tree, stack, sheets, ids)
            continue
        if entry.node is not None:
            entry.node.title = _clean_title(entry.node.title)
            continue
        if entry.name == "title" and owner is not None and owner.name == "sheet":
            sheets.titles[sheets.index] = _clean_title(_text_of(element))
        elif entry.name == "relationship" and sheets.reading and owner.name == "relationships":
            left.relationships += 1
        elif owner is not None and owner.node is not None:
            _topic_part(tree, owner.node, entry.name, element)
    if sheet >= len(sheets.titles):
        raise no_such_sheet(sheet, len(sheets.titles))
    if root is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    left.sheets = [
        (title, sheets.topics[index]) for index, title in enumerate(sheets.titles) if index != sheet
    ]
    return MapFile(root=root, sheets=sheets.titles, sheet=sheet, omitted=left), ids


def no_such_sheet(sheet: int, count: int) -> MapFileError:
    _ = _messages()
    return MapFileError(
        _(
            "The file has no sheet %(n)d (it has %(count)d).",
            count=count,
            n=sheet + 1,
        )
    )


def _child_topic(tree: _Tree, stack, sheets: _Sheets, ids: set[str]) -> None:
    """A topic in a ``<topics>`` list of a topic's ``<children>``: a node, or counted."""
    entry, owner, parent = stack[-1], stack[-2], stack[-4]
    kind = owner.element.get("type")
    if parent.node is not None:
        if kind == "attached":
            entry.level = parent.level + 1
            entry.node = tree.node(entry.level)
            parent.node.children.append(entry.node)
            _topic_start(tree, entry, entry.element, ids)
        elif kind in LEFT_TOPICS:
            entry.left = LEFT_TOPICS[kind]
            setattr(tree.omitted, entry.left, getattr(tree.omitted, entry.left) + 1)
    elif parent.left == "sheet":
        if kind == "attached":
            entry.left = "sheet"
            sheets.topics[sheets.index] += 1
    elif parent.left is not None:  # below a floating topic, a summary or a callout
        entry.left = parent.left
        setattr(tree.omitted, entry.left, getattr(tree.omitted, entry.left) + 1)


def _topic_start(tree: _Tree, entry, element, ids: set[str]) -> None:
    topic_id = element.get("id")
    if topic_id:
        ids.add(topic_id)
        category = CATEGORY_ID.match(topic_id)
        if category:
            entry.node.kind, entry.node.ref = "category", category.group(1)
    if element.get(XLINK_HREF):
        tree.omitted.links += 1


def _topic_part(tree: _Tree, node: MapNode, name: str, element) -> None:
    """A part of a topic read whole: its title, note, markers, labels; or an image."""
    left = tree.omitted
    if name == "title":
        node.title = _text_of(element)
    elif name == "notes":
        plain = _first(element, "plain")
        if plain is not None:
            tree.note(node, _text_of(plain))
    elif name == "marker-refs":
        for ref in element:
            if not read_marker(node, ref.get("marker-id")):
                left.markers += 1
    elif name == "labels":
        labels = [label.text or "" for label in element]
        left.labels += len([x for x in labels if x.strip()]) - read_labels(node, labels)
    elif name == "img":
        left.images += 1
