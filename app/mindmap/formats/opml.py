"""OPML outlines."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from app.mindmap.formats.base import (
    CODE_RE,
    NUMBER_BY_PRIORITY,
    Limits,
    MapFile,
    MapFileError,
    MapNode,
    _clean_title,
    _messages,
    _stream,
    _Tree,
)
from app.mindmap.formats.markup import note_with_links, plain, protect


def read_opml(data: bytes, limits: Limits | None = None) -> MapNode:
    return read_opml_file(data, limits).root


def read_opml_file(data: bytes, limits: Limits | None = None) -> MapFile:
    """Outlines as Workflowy, Dynalist and Gongjian write them: ``text`` may hold HTML or
    Markdown markup (read as plain text, links kept in the note), ``_complete="true"``
    marks a done topic, ``_code``/``_status`` an exported item, ``_category`` a category."""
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
                    entry.node = node = tree.node(entry.level)
                    _outline(tree, node, element)
                    (tops if in_body else owner.node.children).append(node)
            continue
        if entry.node is not None:
            entry.node.title = _clean_title(entry.node.title)
        elif entry.name == "title" and owner.name == "head" and len(stack) == 3:
            head_title = head_title if head_title is not None else element.text
    if not tops:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    if len(tops) == 1:
        return MapFile(root=tops[0], omitted=tree.omitted)
    tree.check_level(max(level for top in tops for _node, level in top.walk()) + 1)
    root = MapNode(title=_clean_title(head_title), children=tops)
    return MapFile(root=root, omitted=tree.omitted)


def _outline(tree: _Tree, node: MapNode, element) -> None:
    """What one ``<outline>`` says of its topic (its title is cleaned when it ends)."""
    _ = _messages()
    text = element.get("text")
    read = plain(text if text else element.get("title") or "")
    node.title = read.title
    tree.omitted.images += read.images
    note = element.get("_note")
    tree.note(node, note)
    if read.links:
        tree.note(node, note_with_links(node.note, read.links, _("Link: %(url)s")))
    priority = element.get("_priority")
    if priority in NUMBER_BY_PRIORITY:
        node.priority = priority
    code = (element.get("_code") or "").strip()
    if CODE_RE.match(code):
        node.code, node.kind = code, "item"
    node.status = element.get("_status") or None
    category = element.get("_category")
    if category is not None:
        node.kind, node.ref = "category", category.strip() or None
    node.done = read.done or (element.get("_complete") or "").strip().lower() == "true"


def write_opml(root: MapNode) -> bytes:
    document = Element("opml", version="2.0")
    head = SubElement(document, "head")
    SubElement(head, "title").text = root.title
    body = SubElement(document, "body")

    def add(parent: Element, node: MapNode) -> None:
        attrs = {"text": protect(node.title)}
        if node.note:
            attrs["_note"] = node.note
        if node.priority:
            attrs["_priority"] = node.priority
        if node.code:
            attrs["_code"] = node.code
        if node.status:
            attrs["_status"] = node.status
        if node.kind == "category":
            attrs["_category"] = node.ref or ""
        if node.done:
            attrs["_complete"] = "true"
        element = SubElement(parent, "outline", attrs)
        for child in node.children:
            add(element, child)

    add(body, root)
    return tostring(document, encoding="utf-8", xml_declaration=True)
