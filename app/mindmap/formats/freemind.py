"""FreeMind and Freeplane (.mm)."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from app.mindmap.formats.base import (
    CODE_RE,
    NUMBER_BY_PRIORITY,
    Limits,
    MapFileError,
    MapNode,
    _clean_title,
    _html_text,
    _messages,
    _priority_from_number,
    _stream,
    _Tree,
)


def read_freemind(data: bytes, limits: Limits | None = None) -> MapNode:
    limits = limits or Limits()
    _ = _messages()
    tree = _Tree(limits)
    root = None
    texts: dict[int, str | None] = {}  # a node's TEXT, until its rich title may replace it
    for event, element, stack in _stream(data, limits, frozenset({"richcontent"})):
        entry = stack[-1]
        owner = stack[-2] if len(stack) > 1 else None
        if event == "start":
            if owner is None:
                if entry.name != "map":
                    raise MapFileError(
                        _("The file is damaged: it is not a FreeMind or Freeplane map.")
                    )
            elif entry.name == "node" and not entry.whole:
                if owner.name == "map" and len(stack) == 2 and root is None:
                    entry.level = 1
                    root = entry.node = tree.node(1)
                elif owner.node is not None:
                    entry.level = owner.level + 1
                    entry.node = tree.node(entry.level)
                    owner.node.children.append(entry.node)
                if entry.node is not None:
                    texts[id(entry.node)] = element.get("TEXT")
            continue
        if entry.node is not None:
            entry.node.title = _clean_title(texts.pop(id(entry.node)))
            continue
        node = owner.node if owner is not None else None
        if node is None:
            continue
        if entry.name == "richcontent":
            text = _html_text(element)
            tree.check_note(node, len(text))
            text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
            if element.get("TYPE") == "NOTE":
                tree.note(node, text)
            elif element.get("TYPE") == "NODE" and not texts.get(id(node)):
                texts[id(node)] = text
        elif entry.name == "icon":
            builtin = element.get("BUILTIN") or ""
            if builtin.startswith("full-") and builtin[5:].isdigit() and node.priority is None:
                node.priority = _priority_from_number(int(builtin[5:]))
        elif entry.name == "attribute":
            name, value = element.get("NAME"), (element.get("VALUE") or "").strip()
            if name == "code" and CODE_RE.match(value):
                node.code = value
            elif name == "status" and value:
                node.status = value
    if root is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return root


def write_freemind(root: MapNode) -> bytes:
    document = Element("map", version="1.0.1")

    def add(parent: Element, node: MapNode) -> None:
        element = SubElement(parent, "node", TEXT=node.title)
        if node.priority:
            SubElement(element, "icon", BUILTIN=f"full-{NUMBER_BY_PRIORITY[node.priority]}")
        if node.code:
            SubElement(element, "attribute", NAME="code", VALUE=node.code)
        if node.status:
            SubElement(element, "attribute", NAME="status", VALUE=node.status)
        if node.note:
            rich = SubElement(element, "richcontent", TYPE="NOTE")
            html = SubElement(rich, "html")
            body = SubElement(html, "body")
            for line in node.note.splitlines():
                SubElement(body, "p").text = line
        for child in node.children:
            add(element, child)

    add(document, root)
    return tostring(document, encoding="utf-8", xml_declaration=False)
