"""XMind: Zen (content.json) and XMind 8 (content.xml) in, Zen out."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from app.mindmap.formats.base import (
    CODE_RE,
    NUMBER_BY_PRIORITY,
    Limits,
    MapFileError,
    MapNode,
    _clean_title,
    _first,
    _messages,
    _open_zip,
    _priority_from_number,
    _read_member,
    _stream,
    _text_of,
    _Tree,
)


def read_xmind(data: bytes, limits: Limits | None = None) -> MapNode:
    limits = limits or Limits()
    _ = _messages()
    if not data.startswith(b"PK"):
        raise MapFileError(_("The file is damaged: it is not a readable XMind archive."))
    archive = _open_zip(data, limits)
    content = _read_member(archive, "content.json", limits)
    if content is not None:
        return _read_zen(content, limits)
    content = _read_member(archive, "content.xml", limits)
    if content is None:
        raise MapFileError(_("The file is damaged: it has no map content."))
    return _read_xmind8(content, limits)


# JSON values (counted by their separators) a map of ``max_nodes`` topics may hold: an
# XMind topic takes about 17; a file of little else is refused before it is parsed.
JSON_VALUES_PER_TOPIC = 50


def _read_zen(content: bytes, limits: Limits) -> MapNode:
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
    except (ValueError, UnicodeDecodeError):
        raise MapFileError(_("The file is damaged: its content cannot be read.")) from None
    if not isinstance(sheets, list) or not sheets or not isinstance(sheets[0], dict):
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    root = sheets[0].get("rootTopic")
    if not isinstance(root, dict):
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return _zen_tree(root, _Tree(limits))


def _get(value, key: str) -> dict:
    """``value[key]`` when both are what a well-formed file has, else an empty dict."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _zen_tree(root_topic: dict, tree: _Tree) -> MapNode:
    root = None
    stack: list[tuple[dict, MapNode | None, int]] = [(root_topic, None, 1)]
    while stack:
        topic, parent, level = stack.pop()
        node = tree.node(level, _clean_title(topic.get("title")))
        tree.note(node, _get(_get(topic, "notes"), "plain").get("content", ""))
        markers = topic.get("markers")
        for marker in markers if isinstance(markers, list) else []:
            marker_id = marker.get("markerId") if isinstance(marker, dict) else None
            node.priority = node.priority or _priority_marker(marker_id)
        labels = topic.get("labels")
        _labels(node, [x for x in labels if isinstance(x, str)] if isinstance(labels, list) else [])
        if parent is None:
            root = node
        else:
            parent.children.append(node)
        children = _get(topic, "children").get("attached")
        if isinstance(children, list):
            stack.extend((c, node, level + 1) for c in reversed(children) if isinstance(c, dict))
    return root


def _labels(node: MapNode, labels: list[str]) -> None:
    """An exported item carries its code as a label, and its status as the next one."""
    labels = [label.strip() for label in labels if label.strip()]
    for index, label in enumerate(labels):
        if CODE_RE.match(label):
            node.code = label
            if index + 1 < len(labels):
                node.status = labels[index + 1]
            return


def _priority_marker(marker_id) -> str | None:
    if isinstance(marker_id, str) and marker_id.startswith("priority-"):
        try:
            return _priority_from_number(int(marker_id.split("-", 1)[1]))
        except ValueError:
            return None
    return None


def _read_xmind8(content: bytes, limits: Limits) -> MapNode:
    """The first sheet's central topic and its attached topics (floating ones are left)."""
    _ = _messages()
    tree = _Tree(limits)
    root = None
    sheets = 0
    parts = frozenset({"title", "notes", "marker-refs", "labels"})
    for event, element, stack in _stream(content, limits, parts):
        entry = stack[-1]
        owner = stack[-2] if len(stack) > 1 else None  # the element this one is in
        if event == "start":
            if entry.name == "sheet" and len(stack) == 2:
                sheets += 1
            elif entry.name == "topic" and owner is not None and not entry.whole:
                if owner.name == "sheet" and len(stack) == 3 and sheets == 1 and root is None:
                    entry.level = 1
                    root = entry.node = tree.node(1)
                elif (
                    owner.name == "topics"
                    and owner.element.get("type") == "attached"
                    and len(stack) > 3
                    and stack[-3].name == "children"
                    and stack[-4].node is not None
                ):
                    parent = stack[-4]
                    entry.level = parent.level + 1
                    entry.node = tree.node(entry.level)
                    parent.node.children.append(entry.node)
            continue
        if entry.node is not None:
            entry.node.title = _clean_title(entry.node.title)
            continue
        if owner is None or owner.node is None:
            continue
        node = owner.node  # this element is a part of a topic: read it whole
        if entry.name == "title":
            node.title = _text_of(element)
        elif entry.name == "notes":
            plain = _first(element, "plain")
            if plain is not None:
                tree.note(node, _text_of(plain))
        elif entry.name == "marker-refs":
            for ref in element:
                node.priority = node.priority or _priority_marker(ref.get("marker-id"))
        elif entry.name == "labels":
            _labels(node, [label.text or "" for label in element])
    if root is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return root


def _zen_topic_out(node: MapNode) -> dict:
    topic: dict = {"id": uuid.uuid4().hex[:26], "class": "topic", "title": node.title}
    if node.note:
        topic["notes"] = {"plain": {"content": node.note}}
    if node.priority:
        topic["markers"] = [{"markerId": f"priority-{NUMBER_BY_PRIORITY[node.priority]}"}]
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
