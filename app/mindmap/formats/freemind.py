"""FreeMind and Freeplane (.mm)."""

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
    _html_text,
    _messages,
    _priority_from_number,
    _stream,
    _Tree,
)


def read_freemind(data: bytes, limits: Limits | None = None) -> MapNode:
    return read_freemind_file(data, limits).root


def read_freemind_file(data: bytes, limits: Limits | None = None) -> MapFile:
    """A FreeMind 1.0 or Freeplane map. Rich text (HTML, with HTML's entities) is read as
    text; a node's details join its note; what the import does not take is counted:
    free-floating nodes (Freeplane's ``FreeNode``), arrow links, links, icons other than
    priority (``full-N``) and done (``button_ok``), images, attributes other than
    ``code``/``status``/``category`` (counted as labels)."""
    limits = limits or Limits()
    _ = _messages()
    tree = _Tree(limits)
    left = tree.omitted
    root = None
    texts: dict[int, str | None] = {}  # a node's TEXT, until its rich title may replace it
    notes: dict[int, list[str]] = {}  # a node's note and details, joined when it ends
    free: set[int] = set()  # nodes Freeplane places freely, not on a branch
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
                    left.links += 1 if element.get("LINK") else 0
            continue
        if entry.node is not None:
            _end_node(tree, entry.node, owner, texts, notes, free)
            continue
        node = owner.node if owner is not None else None
        if node is not None:
            _node_part(tree, node, entry.name, element, texts, notes, free)
    if root is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return MapFile(root=root, omitted=left)


def _end_node(tree: _Tree, node: MapNode, owner, texts, notes, free) -> None:
    key = id(node)
    node.title = _clean_title(texts.pop(key))
    parts = notes.pop(key, None)
    if parts:
        tree.note(node, "\n".join(parts))
    if key in free and owner is not None and owner.node is not None:
        free.discard(key)
        siblings = owner.node.children
        del siblings[next(i for i, child in enumerate(siblings) if child is node)]
        tree.omitted.floating += node.count()


def _node_part(tree: _Tree, node: MapNode, name: str, element, texts, notes, free) -> None:
    """One part of a node, read when it ends: rich text, an icon, an attribute, a link."""
    left = tree.omitted
    if name == "richcontent":
        text = _html_text(element).replace("\xa0", " ")  # HTML's &nbsp; is a space
        tree.check_note(node, len(text))
        text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
        kind = element.get("TYPE")
        if kind == "NODE" and not texts.get(id(node)):
            texts[id(node)] = text
        elif kind in ("NOTE", "DETAILS") and text:
            parts = notes.setdefault(id(node), [])
            # The details (shown under the node) come before the note.
            parts.insert(0 if kind == "DETAILS" else len(parts), text)
            tree.check_note(node, sum(len(part) + 1 for part in parts))
    elif name == "icon":
        builtin = element.get("BUILTIN") or ""
        if builtin.startswith("full-") and builtin[5:].isdigit():
            node.priority = node.priority or _priority_from_number(int(builtin[5:]))
        elif builtin == "button_ok":
            node.done = True
        else:
            left.markers += 1
    elif name == "attribute":
        key, value = element.get("NAME"), (element.get("VALUE") or "").strip()
        if key == "code" and CODE_RE.match(value):
            node.code, node.kind = value, node.kind or "item"
        elif key == "status" and value:
            node.status = value
        elif key == "category":
            node.kind, node.ref = "category", value or None
        else:
            left.labels += 1
    elif name == "arrowlink":
        left.relationships += 1
    elif name == "hook":
        hook = element.get("NAME")
        if hook == "ExternalObject":
            left.images += 1
        elif hook == "FreeNode":
            free.add(id(node))


def write_freemind(root: MapNode) -> bytes:
    document = Element("map", version="1.0.1")

    def add(parent: Element, node: MapNode) -> None:
        element = SubElement(parent, "node", TEXT=node.title)
        if node.priority:
            SubElement(element, "icon", BUILTIN=f"full-{NUMBER_BY_PRIORITY[node.priority]}")
        if node.done:
            SubElement(element, "icon", BUILTIN="button_ok")
        if node.kind == "category":
            SubElement(element, "attribute", NAME="category", VALUE=node.ref or "")
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
