"""OPML outlines."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from app.mindmap.formats.base import (
    CODE_RE,
    NUMBER_BY_PRIORITY,
    Limits,
    MapFileError,
    MapNode,
    _clean_title,
    _messages,
    _stream,
    _Tree,
)


def read_opml(data: bytes, limits: Limits | None = None) -> MapNode:
    limits = limits or Limits()
    _ = _messages()
    tree = _Tree(limits)
    tops: list[MapNode] = []
    head_title = None
    for event, element, stack in _stream(data, limits, frozenset({"title"})):
        entry = stack[-1]
        owner = stack[-2] if len(stack) > 1 else None
        if event == "start":
            if owner is None:
                if entry.name != "opml":
                    raise MapFileError(_("The file is damaged: it is not an OPML outline."))
            elif entry.name == "outline" and not entry.whole:
                in_body = owner.name == "body" and len(stack) == 3
                if in_body or owner.node is not None:
                    # Levels count from the top outlines; a centre made for several adds one.
                    entry.level = 1 if in_body else owner.level + 1
                    entry.node = node = tree.node(entry.level, element.get("text"))
                    node.title = node.title or element.get("title")
                    tree.note(node, element.get("_note"))
                    priority = element.get("_priority")
                    if priority in NUMBER_BY_PRIORITY:
                        node.priority = priority
                    code = (element.get("_code") or "").strip()
                    if CODE_RE.match(code):
                        node.code = code
                    node.status = element.get("_status") or None
                    (tops if in_body else owner.node.children).append(node)
            continue
        if entry.node is not None:
            entry.node.title = _clean_title(entry.node.title)
        elif entry.name == "title" and owner.name == "head" and len(stack) == 3:
            head_title = head_title if head_title is not None else element.text
    if not tops:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    if len(tops) == 1:
        return tops[0]
    tree.check_level(max(level for top in tops for _node, level in top.walk()) + 1)
    return MapNode(title=_clean_title(head_title), children=tops)


def write_opml(root: MapNode) -> bytes:
    document = Element("opml", version="2.0")
    head = SubElement(document, "head")
    SubElement(head, "title").text = root.title
    body = SubElement(document, "body")

    def add(parent: Element, node: MapNode) -> None:
        attrs = {"text": node.title}
        if node.note:
            attrs["_note"] = node.note
        if node.priority:
            attrs["_priority"] = node.priority
        if node.code:
            attrs["_code"] = node.code
        if node.status:
            attrs["_status"] = node.status
        element = SubElement(parent, "outline", attrs)
        for child in node.children:
            add(element, child)

    add(body, root)
    return tostring(document, encoding="utf-8", xml_declaration=True)
