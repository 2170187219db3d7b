"""Mind-map files in and out: XMind 8 and Zen, FreeMind/Freeplane .mm, OPML, Markdown.

Every reader returns one :class:`MapNode` tree (the central topic and its children);
every writer takes one. Nothing here touches the database.

Hostile files are refused before they cost memory: archives are checked for entry count
and total uncompressed size from the central directory *before* anything is read, each
read is capped again while decompressing, and every XML document goes through defusedxml
(no DTDs, no entities, no external references). Readers are iterative, never recursive:
XML is streamed (each element is dropped once read), Markdown is read line by line, and
the limits on topics, depth and note length are checked while the tree is built, so a map
nested 3,000 deep or a note of 4 MB is refused with a message instead of costing a worker.
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
from defusedxml.ElementTree import iterparse as safe_iterparse

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
    max_depth: int = 12  # the central topic is level 1
    max_note: int = 20000  # characters in one topic's note


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

    def walk(self):
        """(node, level) for this node (level 1) and everything below it, depth first."""
        stack = [(self, 1)]
        while stack:
            node, level = stack.pop()
            yield node, level
            stack.extend((child, level + 1) for child in reversed(node.children))

    def count(self) -> int:
        return sum(1 for _node in self.walk())

    def depth(self) -> int:
        return max(level for _node, level in self.walk())


def _messages():
    from flask_babel import gettext as _

    return _


def _clean_title(text) -> str:
    title = " ".join(text.split()) if isinstance(text, str) else ""
    return title or UNTITLED


def _clean_note(text) -> str:
    return text.replace("\r\n", "\n").strip() if isinstance(text, str) else ""


def _priority_from_number(number: int) -> str:
    return PRIORITY_BY_NUMBER.get(number, "low")


class _Tree:
    """Makes the nodes of one map, refusing it as soon as it passes a limit."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.nodes = 0

    def node(self, level: int, title=None, **values) -> MapNode:
        """A new node at ``level`` (1 for the central topic); its title is cleaned later."""
        _ = _messages()
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise MapFileError(
                _("The map has more than %(n)d topics; split it.", n=self.limits.max_nodes)
            )
        self.check_level(level)
        return MapNode(title=title, **values)

    def check_level(self, level: int) -> None:
        if level > self.limits.max_depth:
            _ = _messages()
            raise MapFileError(
                _("The map is nested deeper than %(n)d levels.", n=self.limits.max_depth)
            )

    def note(self, node: MapNode, text) -> None:
        self.check_note(node, len(text) if isinstance(text, str) else 0)
        node.note = _clean_note(text)

    def check_note(self, node: MapNode, length: int) -> None:
        if length > self.limits.max_note:
            _ = _messages()
            title = _clean_title(node.title)
            raise MapFileError(
                _(
                    "The note of “%(title)s” is longer than %(n)d characters; shorten it.",
                    title=title if len(title) <= 40 else title[:40] + "…",
                    n=self.limits.max_note,
                )
            )


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


class _Open:
    """An element being parsed, and the map node it makes, if any."""

    __slots__ = ("element", "name", "node", "level", "whole")

    def __init__(self, element, name: str, node: MapNode | None, level: int, whole: bool):
        self.element = element
        self.name = name  # the tag without its namespace
        self.node = node
        self.level = level  # the node's level, or its nearest ancestor node's
        self.whole = whole  # kept with its contents until it ends, then read


def _stream(data: bytes, limits: Limits, whole: frozenset[str]):
    """Parse XML as a stream of ("start" | "end", element, stack of _Open).

    Elements named in ``whole`` are kept with their contents until they end (a title, a
    note); every other element is dropped as soon as it ends, so a large or deep document
    never stands in memory. At an "end" the element's own entry is still on the stack.
    """
    _ = _messages()
    stack: list[_Open] = []
    inside = 0  # open elements within a kept one
    parts = 0  # elements within the kept one being read
    events = safe_iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        for event, element in events:
            if event == "start":
                name = _local(element.tag)
                parent = stack[-1] if stack else None
                level = parent.level if parent else 0
                entry = _Open(element, name, None, level, inside > 0 or name in whole)
                if entry.whole:
                    inside += 1
                    parts += 1
                    if parts > limits.max_note:
                        raise MapFileError(_("A note of the map is too complex to read."))
                stack.append(entry)
                yield "start", element, stack
                continue
            yield "end", element, stack
            entry = stack.pop()
            if entry.whole:
                inside -= 1
                if inside:
                    continue  # read with the element that keeps it
                parts = 0
            element.clear()
            if stack:  # a cleared child still costs its parent a slot
                stack[-1].element.remove(element)
    except DefusedXmlException:
        raise MapFileError(
            _("The file declares XML entities or a DTD, which this site refuses for safety.")
        ) from None
    except (ParseError, SyntaxError):
        raise MapFileError(_("The file is damaged: its XML cannot be read.")) from None


def _check_size(root: MapNode, limits: Limits) -> MapNode:
    _ = _messages()
    if root.count() > limits.max_nodes:
        raise MapFileError(_("The map has more than %(n)d topics; split it.", n=limits.max_nodes))
    if root.depth() > limits.max_depth:
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
        root = read_freemind(data, limits)
    elif fmt == "opml":
        root = read_opml(data, limits)
    else:
        root = read_markdown(_decode_text(data), limits)
    return _check_size(root, limits)


def _decode_text(data: bytes) -> str:
    _ = _messages()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MapFileError(_("The file is not UTF-8 text.")) from None


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


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text_of(element) -> str:
    return "".join(element.itertext())


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


_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre"}


def _html_text(element) -> str:
    """The text of an HTML note, one line per paragraph (FreeMind and Freeplane notes).

    Iterative: a note nested thousands of elements deep is read like a flat one.
    """
    parts: list[str] = []
    # Work to do, last first: an element to open, or text to add once its children are done.
    todo: list = [element]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if item.text:
            parts.append(item.text)
        after: list = []
        for child in item:
            after.append(child)
            if _local(child.tag).lower() in _BLOCKS:
                after.append("\n")
            if child.tail:
                after.append(child.tail)
        todo.extend(reversed(after))
    return "".join(parts)


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


# Where headings start (as ``_heading`` reads them), found in one scan of the text.
_HEADING_START = re.compile(r"^(#{1,6})(?!#)[^\S\r\n]", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")
_ITEM = re.compile(r"^\[([A-Z]{1,10}-\d{1,6})\]\s")


def _heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading (``## Title ##``), in one pass over the line."""
    if not line.startswith("#"):
        return None
    rest = line.lstrip("#")
    level = len(line) - len(rest)
    if level > 6 or not rest[:1].isspace():
        return None
    return level, rest.strip().rstrip("#").rstrip()


def _lines(text: str):
    """The lines of ``text`` one at a time, without their ends (a list of them all would
    cost a few times the text)."""
    if "\n" not in text:
        text = text.replace("\r", "\n")
    start, end_of_text = 0, len(text)
    while start < end_of_text:
        end = text.find("\n", start)
        if end < 0:
            end = end_of_text
        line = text[start:end]
        start = end + 1
        yield line[:-1] if line.endswith("\r") else line


def read_markdown(text: str, limits: Limits | None = None) -> MapNode:
    """Headings make the levels; bullets under a heading nest below it by indentation.

    A first ``#`` heading is the central topic when it is the only one; otherwise the
    document is the centre. Plain lines (or ``>`` lines) under a node are its note.
    Linear in the length of the text: no pattern backtracks and notes are joined once.
    """
    limits = limits or Limits()
    tree = _Tree(limits)
    levels = [len(m.group(1)) for m in _HEADING_START.finditer(text)]
    root = tree.node(1, UNTITLED)
    use_first_heading = levels.count(1) == 1 and levels[0] == 1
    # stack of (level, node); headings use levels 1..6, bullets 10 + indentation.
    stack: list[tuple[int, MapNode]] = [(0, root)]
    notes: dict[int, tuple[MapNode, list[str]]] = {}
    sizes: dict[int, int] = {}
    last: MapNode | None = None
    in_code = False
    for raw in _lines(text):
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        heading = _heading(raw)
        bullet = _BULLET.match(raw) if heading is None else None
        if heading:
            level = heading[0]
            if use_first_heading and level == 1:
                root.title = _clean_title(heading[1])
                last = root
                continue
            item_text = heading[1]
        elif bullet:
            level = 10 + len(bullet.group(1).replace("\t", "    "))
            item_text = bullet.group(2)
        else:
            stripped = raw.strip().lstrip(">").strip()
            if stripped and last is not None:
                key = id(last)
                sizes[key] = sizes.get(key, -1) + 1 + len(stripped)
                tree.check_note(last, sizes[key])
                notes.setdefault(key, (last, []))[1].append(stripped)
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        node = _markdown_item(tree, len(stack) + 1, item_text)
        stack[-1][1].children.append(node)
        stack.append((level, node))
        last = node
    for node, note_lines in notes.values():
        node.note = "\n".join(note_lines)
    return root


def _markdown_item(tree: _Tree, level: int, text: str) -> MapNode:
    """A heading's or bullet's text: ``[KH-001] title — status !2``, each part optional."""
    text = text.strip()
    priority = None
    if len(text) > 2 and text[-2] == "!" and text[-1] in "123456789" and text[-3].isspace():
        priority = _priority_from_number(int(text[-1]))
        text = text[:-2].rstrip()
    item = _ITEM.match(text)
    if item:
        rest = text[item.end() :].strip()
        title, dash, status = rest.rpartition("—")
        if dash and title[-1:].isspace() and status[:1].isspace() and status.strip():
            title, status = title.rstrip(), status.strip()
        else:
            title, status = rest, None
        return tree.node(
            level, _clean_title(title), code=item.group(1), status=status, priority=priority
        )
    return tree.node(level, _clean_title(text), priority=priority)


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
