"""XMind: Zen (content.json) and XMind 8 (content.xml) in, Zen out."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from app.mindmap.formats.base import (
    NUMBER_BY_PRIORITY,
    Limits,
    MapFile,
    MapFileError,
    MapNode,
    _clean_title,
    _local,
    _messages,
    _open_zip,
    _read_member,
    _stream,
    _Tree,
)
from app.mindmap.formats.xmind8 import (
    CATEGORY_ID,
    no_such_sheet,
    read_labels,
    read_marker,
    read_xmind8,
)


def read_xmind(data: bytes, limits: Limits | None = None) -> MapNode:
    return read_xmind_file(data, limits).root


def read_xmind_file(data: bytes, limits: Limits | None = None, sheet: int = 0) -> MapFile:
    """Sheet ``sheet`` of an XMind file (Zen and later: content.json; XMind 8: content.xml),
    the titles of all its sheets, and what the import leaves out, comments included."""
    limits = limits or Limits()
    _ = _messages()
    if not data.startswith(b"PK"):
        raise MapFileError(_("The file is damaged: it is not a readable XMind archive."))
    archive = _open_zip(data, limits)
    content = _read_member(archive, "content.json", limits)
    if content is not None:
        read, ids = _read_zen(content, limits, sheet)
        comments = _read_member(archive, "comments.json", limits)
        read.omitted.comments += _zen_comments(comments, ids)
        return read
    content = _read_member(archive, "content.xml", limits)
    if content is None:
        raise MapFileError(_("The file is damaged: it has no map content."))
    read, ids = read_xmind8(content, limits, sheet)
    comments = _read_member(archive, "comments.xml", limits)
    if comments is not None and ids:
        read.omitted.comments += _xmind8_comments(comments, limits, ids)
    return read


# JSON values (counted by their separators) a map of ``max_nodes`` topics may hold: an
# XMind topic takes about 17; a file of little else is refused before it is parsed.
JSON_VALUES_PER_TOPIC = 50


def _read_zen(content: bytes, limits: Limits, sheet: int) -> tuple[MapFile, set[str]]:
    _ = _messages()
    values = content.count(b"{") + content.count(b"[") + content.count(b",")
    if values > JSON_VALUES_PER_TOPIC * limits.max_nodes:
        raise MapFileError(_("The map has more than %(n)d topics; split it.", n=limits.max_nodes))
    try:
        sheets = json.loads(content.decode("utf-8-sig"))
    except RecursionError:  # the parser's own guard against deep nesting
        raise MapFileError(
            _("The map is nested deeper than %(n)d levels.", n=limits.max_depth)
        ) from None
    except json.JSONDecodeError as error:
        raise MapFileError(
            _(
                "The file is damaged: line %(line)d cannot be read (%(reason)s).",
                line=error.lineno,
                reason=_("the JSON is not well-formed"),
            )
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise MapFileError(_("The file is damaged: its content cannot be read.")) from None
    if not isinstance(sheets, list) or not sheets or not isinstance(sheets[0], dict):
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    sheets = [s for s in sheets if isinstance(s, dict)]
    if sheet >= len(sheets):
        raise no_such_sheet(sheet, len(sheets))
    root = sheets[sheet].get("rootTopic")
    if not isinstance(root, dict):
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    tree = _Tree(limits)
    ids: set[str] = set()
    node = _zen_tree(root, tree, ids)
    left = tree.omitted
    relationships = sheets[sheet].get("relationships")
    left.relationships += len(relationships) if isinstance(relationships, list) else 0
    titles = [_clean_title(s.get("title")) for s in sheets]
    left.sheets = [
        (titles[i], _zen_count(s.get("rootTopic"), ("attached",)))
        for i, s in enumerate(sheets)
        if i != sheet
    ]
    return MapFile(root=node, sheets=titles, sheet=sheet, omitted=left), ids


def _get(value, key: str) -> dict:
    """``value[key]`` when both are what a well-formed file has, else an empty dict."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _list(value, key: str) -> list:
    found = value.get(key) if isinstance(value, dict) else None
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


# The topic lists of ``children`` an import leaves out, by the count they add to.
_ZEN_LEFT = {"detached": "floating", "summary": "summaries", "callout": "callouts"}


def _zen_count(topic, kinds: tuple[str, ...]) -> int:
    """Topics in ``topic``'s tree (itself included), following the ``kinds`` of children."""
    if not isinstance(topic, dict):
        return 0
    count, todo = 0, [topic]
    while todo:
        count += 1
        children = _get(todo.pop(), "children")
        for kind in kinds:
            todo.extend(_list(children, kind))
    return count


def _zen_tree(root_topic: dict, tree: _Tree, ids: set[str]) -> MapNode:
    root = None
    left = tree.omitted
    stack: list[tuple[dict, MapNode | None, int]] = [(root_topic, None, 1)]
    every = tuple(["attached", *_ZEN_LEFT])
    while stack:
        topic, parent, level = stack.pop()
        node = tree.node(level, _clean_title(topic.get("title")))
        _zen_topic(tree, node, topic, ids)
        if parent is None:
            root = node
        else:
            parent.children.append(node)
        children = _get(topic, "children")
        stack.extend((c, node, level + 1) for c in reversed(_list(children, "attached")))
        for kind, count in _ZEN_LEFT.items():
            found = sum(_zen_count(c, every) for c in _list(children, kind))
            setattr(left, count, getattr(left, count) + found)
    return root


def _zen_topic(tree: _Tree, node: MapNode, topic: dict, ids: set[str]) -> None:
    """What one topic says besides its title and children; the rest is counted."""
    left = tree.omitted
    topic_id = topic.get("id")
    if isinstance(topic_id, str):
        ids.add(topic_id)
        category = CATEGORY_ID.match(topic_id)
        if category:
            node.kind, node.ref = "category", category.group(1)
    tree.note(node, _get(_get(topic, "notes"), "plain").get("content", ""))
    for marker in _list(topic, "markers"):
        if not read_marker(node, marker.get("markerId")):
            left.markers += 1
    labels = topic.get("labels")
    labels = [x for x in labels if isinstance(x, str)] if isinstance(labels, list) else []
    left.labels += len([x for x in labels if x.strip()]) - read_labels(node, labels)
    left.links += 1 if topic.get("href") else 0
    left.images += 1 if isinstance(topic.get("image"), dict) else 0
    comments = topic.get("comments")
    left.comments += len(comments) if isinstance(comments, list) else 0


def _zen_comments(content: bytes | None, ids: set[str]) -> int:
    """Comments kept apart in ``comments.json``: a list of comments naming their topic, or
    a mapping of topic ids to their comments. Only those on topics read count."""
    if not content or not ids:
        return 0
    try:
        comments = json.loads(content.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return 0
    if isinstance(comments, dict):
        return sum(
            len(value) if isinstance(value, list) else 1
            for key, value in comments.items()
            if key in ids
        )
    if isinstance(comments, list):
        return sum(
            1
            for comment in comments
            if isinstance(comment, dict)
            and (comment.get("objectId") in ids or comment.get("topicId") in ids)
        )
    return 0


def _xmind8_comments(content: bytes, limits: Limits, ids: set[str]) -> int:
    count = 0
    for event, element, _stack in _stream(content, limits, frozenset()):
        if event == "end" and _local(element.tag) == "comment":
            count += 1 if element.get("object-id") in ids else 0
    return count


CATEGORY_ID_FORMAT = "gongjian-category-{}"


def _zen_topic_out(node: MapNode) -> dict:
    """One topic: a category's id is its topic id (``gongjian-category-12``), an item's code
    and status its labels, done the ``task-done`` marker."""
    topic_id = uuid.uuid4().hex[:26]
    if node.kind == "category":
        ref = node.ref if node.ref and node.ref.isdigit() else f"x{topic_id}"
        topic_id = CATEGORY_ID_FORMAT.format(ref)
    topic: dict = {"id": topic_id, "class": "topic", "title": node.title}
    if node.note:
        topic["notes"] = {"plain": {"content": node.note}}
    markers = (
        [{"markerId": f"priority-{NUMBER_BY_PRIORITY[node.priority]}"}] if node.priority else []
    )
    if node.done:
        markers.append({"markerId": "task-done"})
    if markers:
        topic["markers"] = markers
    labels = [label for label in (node.code, node.status) if label]
    if labels:
        topic["labels"] = labels
    if node.children:
        topic["children"] = {"attached": [_zen_topic_out(c) for c in node.children]}
    return topic


def write_xmind(root: MapNode) -> bytes:
    """An XMind (Zen and later) archive: content.json, metadata.json, manifest.json, and
    the content.xml stub XMind 8 shows when it meets a newer file."""
    rootTopic = _zen_topic_out(root)
    rootTopic["structureClass"] = "org.xmind.ui.logic.right"
    content = [
        {
            "id": uuid.uuid4().hex[:26],
            "class": "sheet",
            "title": root.title,
            "rootTopic": rootTopic,
            "topicPositioning": "fixed",
        }
    ]
    manifest = {"file-entries": {"content.json": {}, "metadata.json": {}}}
    metadata = {"creator": {"name": "Gongjian", "version": "1.0"}}
    stub = (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<xmap-content xmlns="urn:xmind:xmap:xmlns:content:2.0" version="2.0">'
        '<sheet id="s1"><topic id="t1"><title>'
        "This file can not be opened normally, please do not modify and save, otherwise "
        "the contents will be permanently lost!</title></topic></sheet></xmap-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content.json", json.dumps(content, ensure_ascii=False))
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("content.xml", stub)
    return buffer.getvalue()
