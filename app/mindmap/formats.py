"""Mind-map files in and out: XMind 8 and Zen, FreeMind/Freeplane .mm, OPML, Markdown.

Every reader returns one :class:`MapNode` tree (the central topic and its children);
every writer takes one. Nothing here touches the database.

Hostile files are refused before they cost memory: archives are checked for entry count
and total uncompressed size from the central directory *before* anything is read, each
read is capped again while decompressing, and every XML document goes through defusedxml
(no DTDs, no entities, no external references).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

UNTITLED = "（未命名）"
FORMATS = ("xmind", "mm", "opml", "md")
EXTENSIONS = {
    ".xmind": "xmind",
    ".mm": "mm",
    ".opml": "opml",
    ".md": "md",
    ".markdown": "md",
}
# Priority markers of XMind (priority-1 …) and FreeMind icons (full-1 …) to item priorities.
PRIORITY_BY_NUMBER = {1: "urgent", 2: "high", 3: "medium"}
NUMBER_BY_PRIORITY = {"urgent": 1, "high": 2, "medium": 3, "low": 4}
CODE_RE = re.compile(r"^[A-Z]{1,10}-\d{1,6}$")


class MapFileError(Exception):
    """A file that cannot be read as a map; ``message`` says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Limits:
    max_entries: int = 1000
    max_uncompressed: int = 20 * 1024 * 1024
    max_nodes: int = 20000
    max_depth: int = 12


@dataclass
class MapNode:
    title: str
    note: str = ""
    priority: str | None = None
    code: str | None = None  # an item's code, when the node is an exported item
    status: str | None = None
    children: list[MapNode] = field(default_factory=list)

    def to_dict(self) -> dict:
        data: dict = {"title": self.title}
        if self.note:
            data["note"] = self.note
        if self.priority:
            data["priority"] = self.priority
        if self.code:
            data["code"] = self.code
        if self.status:
            data["status"] = self.status
        if self.children:
            data["children"] = [c.to_dict() for c in self.children]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> MapNode:
        return cls(
            title=data["title"],
            note=data.get("note", ""),
            priority=data.get("priority"),
            code=data.get("code"),
            status=data.get("status"),
            children=[cls.from_dict(c) for c in data.get("children", [])],
        )

    def count(self) -> int:
        return 1 + sum(c.count() for c in self.children)


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def _messages():
    from flask_babel import gettext as _

    return _


def _clean_title(text: str | None) -> str:
    title = " ".join((text or "").split())
    return title or UNTITLED


def _clean_note(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def _priority_from_number(number: int) -> str:
    return PRIORITY_BY_NUMBER.get(number, "low")


# --- safety --------------------------------------------------------------------------------


def _open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    _ = _messages()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise MapFileError(_("The file is damaged: it is not a readable XMind archive.")) from None
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise MapFileError(
            _("The archive holds too many files (%(n)d); it is refused.", n=len(infos))
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed:
        raise MapFileError(_("The archive unpacks to too much data; it is refused."))
    return archive


def _read_member(archive: zipfile.ZipFile, name: str, limits: Limits) -> bytes | None:
    """One member, read in chunks and stopped at the limit whatever its header claims."""
    _ = _messages()
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    out = bytearray()
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                out.extend(chunk)
                if len(out) > limits.max_uncompressed:
                    raise MapFileError(_("The archive unpacks to too much data; it is refused."))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise MapFileError(_("The file is damaged: it is not a readable XMind archive.")) from None
    except NotImplementedError:
        raise MapFileError(_("The archive uses a compression this site does not read.")) from None
    return bytes(out)


def _parse_xml(data: bytes):
    _ = _messages()
    try:
        return safe_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise MapFileError(
            _("The file declares XML entities or a DTD, which this site refuses for safety.")
        ) from None
    except (ParseError, ValueError, SyntaxError):
        raise MapFileError(_("The file is damaged: its XML cannot be read.")) from None


def _check_size(root: MapNode, limits: Limits) -> MapNode:
    _ = _messages()

    def depth(node: MapNode) -> int:
        return 1 + max((depth(c) for c in node.children), default=0)

    if root.count() > limits.max_nodes:
        raise MapFileError(_("The map has more than %(n)d topics; split it.", n=limits.max_nodes))
    if depth(root) > limits.max_depth:
        raise MapFileError(_("The map is nested deeper than %(n)d levels.", n=limits.max_depth))
    if not root.children:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return root


# --- readers -------------------------------------------------------------------------------


def detect_format(filename: str) -> str:
    _ = _messages()
    lower = (filename or "").lower()
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    raise MapFileError(
        _("Unknown file type. Upload an .xmind, .mm, .opml or .md file (Markdown outline).")
    )


def read_map(filename: str, data: bytes, limits: Limits | None = None) -> MapNode:
    """Parse an uploaded file into a tree. :raise MapFileError: with a message for people."""
    limits = limits or Limits()
    _ = _messages()
    fmt = detect_format(filename)
    if not data:
        raise MapFileError(_("The file is empty."))
    if fmt == "xmind":
        root = read_xmind(data, limits)
    elif fmt == "mm":
        root = read_freemind(data)
    elif fmt == "opml":
        root = read_opml(data)
    else:
        root = read_markdown(_decode_text(data))
    return _check_size(root, limits)


def _decode_text(data: bytes) -> str:
    _ = _messages()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MapFileError(_("The file is not UTF-8 text.")) from None


def read_xmind(data: bytes, limits: Limits) -> MapNode:
    _ = _messages()
    if not data.startswith(b"PK"):
        raise MapFileError(_("The file is damaged: it is not a readable XMind archive."))
    archive = _open_zip(data, limits)
    content = _read_member(archive, "content.json", limits)
    if content is not None:
        try:
            sheets = json.loads(content.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            raise MapFileError(_("The file is damaged: its content cannot be read.")) from None
        if not isinstance(sheets, list) or not sheets or not isinstance(sheets[0], dict):
            raise MapFileError(_("The map is empty: its central topic has no branches."))
        root = sheets[0].get("rootTopic")
        if not isinstance(root, dict):
            raise MapFileError(_("The map is empty: its central topic has no branches."))
        return _zen_topic(root)
    content = _read_member(archive, "content.xml", limits)
    if content is None:
        raise MapFileError(_("The file is damaged: it has no map content."))
    document = _parse_xml(content)
    sheet = _first(document, "sheet")
    topic = _first(sheet, "topic") if sheet is not None else None
    if topic is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return _xmind8_topic(topic)


def _zen_topic(topic: dict) -> MapNode:
    notes = topic.get("notes") or {}
    plain = (notes.get("plain") or {}).get("content", "") if isinstance(notes, dict) else ""
    node = MapNode(title=_clean_title(topic.get("title")), note=_clean_note(plain))
    for marker in topic.get("markers") or []:
        node.priority = node.priority or _priority_marker((marker or {}).get("markerId"))
    _labels(node, [x for x in topic.get("labels") or [] if isinstance(x, str)])
    children = (topic.get("children") or {}).get("attached") or []
    node.children = [_zen_topic(c) for c in children if isinstance(c, dict)]
    return node


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


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _xmind8_topic(element) -> MapNode:
    title = _first(element, "title")
    node = MapNode(title=_clean_title("".join(title.itertext()) if title is not None else ""))
    notes = _first(element, "notes")
    if notes is not None:
        plain = _first(notes, "plain")
        if plain is not None:
            node.note = _clean_note("".join(plain.itertext()))
    refs = _first(element, "marker-refs")
    for ref in refs if refs is not None else []:
        node.priority = node.priority or _priority_marker(ref.get("marker-id"))
    labels = _first(element, "labels")
    _labels(node, [label.text or "" for label in (labels if labels is not None else [])])
    children = _first(element, "children")
    for topics in children if children is not None else []:
        if _local(topics.tag) == "topics" and topics.get("type") == "attached":
            node.children.extend(_xmind8_topic(t) for t in topics if _local(t.tag) == "topic")
    return node


def read_freemind(data: bytes) -> MapNode:
    _ = _messages()
    document = _parse_xml(data)
    if _local(document.tag) != "map":
        raise MapFileError(_("The file is damaged: it is not a FreeMind or Freeplane map."))
    top = _first(document, "node")
    if top is None:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return _mm_node(top)


def _mm_node(element) -> MapNode:
    title = element.get("TEXT")
    note = ""
    for rich in element.findall("richcontent"):
        text = "\n".join(line.strip() for line in _html_text(rich).splitlines() if line.strip())
        if rich.get("TYPE") == "NOTE":
            note = text
        elif rich.get("TYPE") == "NODE" and not title:
            title = text
    node = MapNode(title=_clean_title(title), note=_clean_note(note))
    for icon in element.findall("icon"):
        builtin = icon.get("BUILTIN") or ""
        if builtin.startswith("full-") and builtin[5:].isdigit() and node.priority is None:
            node.priority = _priority_from_number(int(builtin[5:]))
    for attribute in element.findall("attribute"):
        name, value = attribute.get("NAME"), (attribute.get("VALUE") or "").strip()
        if name == "code" and CODE_RE.match(value):
            node.code = value
        elif name == "status" and value:
            node.status = value
    node.children = [_mm_node(child) for child in element.findall("node")]
    return node


_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"}


def _html_text(element) -> str:
    """The text of an HTML note, one line per paragraph (FreeMind and Freeplane notes)."""
    parts: list[str] = []

    def walk(node) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if _local(child.tag).lower() in _BLOCKS:
                parts.append("\n")
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)


def read_opml(data: bytes) -> MapNode:
    _ = _messages()
    document = _parse_xml(data)
    if _local(document.tag) != "opml":
        raise MapFileError(_("The file is damaged: it is not an OPML outline."))
    body = _first(document, "body")
    outlines = [o for o in (body if body is not None else []) if _local(o.tag) == "outline"]
    if not outlines:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    if len(outlines) == 1:
        return _opml_outline(outlines[0])
    head = _first(document, "head")
    title = _first(head, "title") if head is not None else None
    root = MapNode(title=_clean_title(title.text if title is not None else ""))
    root.children = [_opml_outline(o) for o in outlines]
    return root


def _opml_outline(element) -> MapNode:
    node = MapNode(
        title=_clean_title(element.get("text") or element.get("title")),
        note=_clean_note(element.get("_note")),
    )
    priority = element.get("_priority")
    if priority in NUMBER_BY_PRIORITY:
        node.priority = priority
    code = (element.get("_code") or "").strip()
    if CODE_RE.match(code):
        node.code = code
    node.status = element.get("_status") or None
    node.children = [_opml_outline(o) for o in element if _local(o.tag) == "outline"]
    return node


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_ITEM = re.compile(r"^\[([A-Z]{1,10}-\d{1,6})\]\s+(.*?)(?:\s+—\s+([^—]+?))?$")
_PRIORITY_TAG = re.compile(r"\s+!([1-9])$")


def read_markdown(text: str) -> MapNode:
    """Headings make the levels; bullets under a heading nest below it by indentation.

    A first ``#`` heading is the central topic when it is the only one; otherwise the
    document is the centre. Plain lines (or ``>`` lines) under a node are its note.
    """
    lines = text.splitlines()
    heading_levels = [len(m.group(1)) for m in map(_HEADING.match, lines) if m]
    root = MapNode(title=UNTITLED)
    use_first_heading = heading_levels.count(1) == 1 and heading_levels[0] == 1
    # stack of (level, node); headings use levels 1..6, bullets 10 + indentation.
    stack: list[tuple[int, MapNode]] = [(0, root)]
    last: MapNode | None = None
    in_code = False
    for raw in lines:
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _HEADING.match(raw)
        bullet = _BULLET.match(raw) if heading is None else None
        if heading:
            level = len(heading.group(1))
            if use_first_heading and level == 1:
                root.title = _clean_title(heading.group(2))
                last = root
                continue
            node = _markdown_item(heading.group(2))
        elif bullet:
            indent = len(bullet.group(1).replace("\t", "    "))
            level = 10 + indent
            node = _markdown_item(bullet.group(2))
        else:
            stripped = raw.strip().lstrip(">").strip()
            if stripped and last is not None:
                last.note = (last.note + "\n" + stripped).strip()
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack[-1][1].children.append(node)
        stack.append((level, node))
        last = node
    return root


def _markdown_item(text: str) -> MapNode:
    text = text.strip()
    priority = None
    tag = _PRIORITY_TAG.search(text)
    if tag:
        priority = _priority_from_number(int(tag.group(1)))
        text = text[: tag.start()]
    item = _ITEM.match(text)
    if item:
        return MapNode(
            title=_clean_title(item.group(2)),
            code=item.group(1),
            status=item.group(3),
            priority=priority,
        )
    return MapNode(title=_clean_title(text), priority=priority)


# --- writers -------------------------------------------------------------------------------


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


def write_markdown(root: MapNode) -> bytes:
    """Categories as headings (down to level 6), items as bullets ``- [KH-001] title — status``."""
    out = [f"# {root.title}", ""]

    def note_lines(node: MapNode, indent: str) -> None:
        for line in node.note.splitlines():
            out.append(f"{indent}> {line}" if line.strip() else f"{indent}>")

    def add(node: MapNode, depth: int, bullet_indent: int | None) -> None:
        is_item = node.code is not None
        if bullet_indent is None and not is_item and depth <= 6:
            suffix = f" !{NUMBER_BY_PRIORITY[node.priority]}" if node.priority else ""
            out.append("#" * depth + " " + node.title + suffix)
            if node.note:
                out.append("")
                note_lines(node, "")
            out.append("")
            # Items first: a bullet after a deeper heading would belong to that heading.
            items = [c for c in node.children if c.code is not None]
            for child in items:
                add(child, depth + 1, 0)
            if items:
                out.append("")
            for child in node.children:
                if child.code is None:
                    add(child, depth + 1, None)
            return
        indent = "  " * (bullet_indent or 0)
        text = f"[{node.code}] {node.title}" if node.code else node.title
        if node.code and node.status:
            text += f" — {node.status}"
        if node.priority:
            text += f" !{NUMBER_BY_PRIORITY[node.priority]}"
        out.append(f"{indent}- {text}")
        if node.note:
            note_lines(node, indent + "  ")
        for child in node.children:
            add(child, depth + 1, (bullet_indent or 0) + 1)

    for child in root.children:
        add(child, 2, None)
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


WRITERS = {
    "xmind": (write_xmind, "application/vnd.xmind.workbook", "xmind"),
    "mm": (write_freemind, "application/x-freemind", "mm"),
    "opml": (write_opml, "text/x-opml", "opml"),
    "md": (write_markdown, "text/markdown; charset=utf-8", "md"),
}
