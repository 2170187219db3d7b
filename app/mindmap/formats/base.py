"""What every map format shares: the tree (``MapNode``), the limits and the error, and
the safe reading of archives and XML (see the package's docstring)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from html.entities import html5
from xml.parsers.expat import errors as expat_errors

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
    # "category" or "item" where the file says which (Gongjian's exports do), else None.
    kind: str | None = None
    # A category's id as an export writes it, so a renamed category is matched on re-import.
    ref: str | None = None
    # The file marks the topic done (a ticked box, an outline's "complete", a done marker).
    done: bool = False
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
        if self.kind:
            data["kind"] = self.kind
        if self.ref:
            data["ref"] = self.ref
        if self.done:
            data["done"] = True
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
            kind=data.get("kind"),
            ref=data.get("ref"),
            done=bool(data.get("done")),
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


OMITTED_KINDS = (
    "floating",
    "summaries",
    "callouts",
    "relationships",
    "labels",
    "markers",
    "links",
    "images",
    "comments",
)


@dataclass
class Omitted:
    """What a file holds that an import does not take, counted so the preview can say so."""

    sheets: list[tuple[str, int]] = field(default_factory=list)  # the others: (title, topics)
    floating: int = 0
    summaries: int = 0
    callouts: int = 0
    relationships: int = 0
    labels: int = 0  # labels other than an item's code and status
    markers: int = 0  # markers and icons other than priority (and done)
    links: int = 0
    images: int = 0
    comments: int = 0

    def any(self) -> bool:
        return bool(self.sheets) or any(getattr(self, kind) for kind in OMITTED_KINDS)

    def to_dict(self) -> dict:
        data: dict = {kind: getattr(self, kind) for kind in OMITTED_KINDS if getattr(self, kind)}
        if self.sheets:
            data["sheets"] = [list(sheet) for sheet in self.sheets]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Omitted:
        values = {kind: int(data.get(kind, 0)) for kind in OMITTED_KINDS}
        sheets = [(str(title), int(topics)) for title, topics in data.get("sheets", [])]
        return cls(sheets=sheets, **values)


@dataclass
class MapFile:
    """One read file: the chosen sheet's tree, every sheet's title, and what was left out."""

    root: MapNode
    sheets: list[str] = field(default_factory=list)  # in the file's order; [] when it has none
    sheet: int = 0  # the index of the sheet read
    omitted: Omitted = field(default_factory=Omitted)


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
        self.omitted = Omitted()  # what the file holds that the tree does not take

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

    __slots__ = ("element", "name", "node", "level", "whole", "left")

    def __init__(self, element, name: str, node: MapNode | None, level: int, whole: bool):
        self.element = element
        self.name = name  # the tag without its namespace
        self.node = node
        self.level = level  # the node's level, or its nearest ancestor node's
        self.whole = whole  # kept with its contents until it ends, then read
        self.left: str | None = None  # a topic not imported: the kind of Omitted it counts as


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
        io.BytesIO(_resolve_html_entities(data)),
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
    except ParseError as error:
        raise MapFileError(_xml_error(error)) from None
    except SyntaxError:
        raise MapFileError(_("The file is damaged: its XML cannot be read.")) from None


# The five entities XML defines itself; every other named entity is HTML's.
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})

_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")


def _resolve_html_entities(data: bytes) -> bytes:
    """HTML's named entities (``&nbsp;``, ``&mdash;`` … which Freeplane 1.9+ writes in rich
    text) as numeric character references, which XML reads without any DTD.

    No DTD or entity declaration is enabled: a name HTML does not define stays as it is, and
    the parser refuses it (a DTD declaring it is refused before that). Line numbers are kept.
    """
    if b"&" not in data:
        return data

    def reference(match: re.Match) -> bytes:
        name = match.group(1).decode("ascii")
        text = None if name in _XML_ENTITIES else html5.get(name + ";")
        if text is None:
            return match.group(0)
        return "".join(f"&#{ord(char)};" for char in text).encode("ascii")

    return _ENTITY.sub(reference, data)


def _xml_reasons() -> dict:
    _ = _messages()
    code = expat_errors.codes
    return {
        code[expat_errors.XML_ERROR_UNDEFINED_ENTITY]: _("an unknown entity"),
        code[expat_errors.XML_ERROR_TAG_MISMATCH]: _("a closing tag does not match"),
        code[expat_errors.XML_ERROR_INVALID_TOKEN]: _("a character or mark is not allowed"),
        code[expat_errors.XML_ERROR_UNCLOSED_TOKEN]: _("the text ends inside a tag"),
        code[expat_errors.XML_ERROR_NO_ELEMENTS]: _("the text ends before the map does"),
        code[expat_errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]: _("text follows the end"),
        code[expat_errors.XML_ERROR_BAD_CHAR_REF]: _("a character reference is not valid"),
        code[expat_errors.XML_ERROR_DUPLICATE_ATTRIBUTE]: _("an attribute is repeated"),
        code[expat_errors.XML_ERROR_UNKNOWN_ENCODING]: _("its encoding is unknown"),
        code[expat_errors.XML_ERROR_INCORRECT_ENCODING]: _("its encoding is not the one declared"),
    }


def _xml_error(error: ParseError) -> str:
    """Which line cannot be read and why, for the person."""
    _ = _messages()
    line = (getattr(error, "position", None) or (0, 0))[0]
    reason = _xml_reasons().get(getattr(error, "code", None)) or _("the XML is not well-formed")
    if not line:
        return _("The file is damaged: its XML cannot be read.")
    return _(
        "The file is damaged: line %(line)d cannot be read (%(reason)s).", line=line, reason=reason
    )


def _check_size(root: MapNode, limits: Limits) -> MapNode:
    _ = _messages()
    for node, _level in root.walk():
        if len(node.title) > limits.max_note:
            raise MapFileError(
                _(
                    "A topic's title is longer than %(n)d characters; shorten it.",
                    n=limits.max_note,
                )
            )
    if root.count() > limits.max_nodes:
        raise MapFileError(_("The map has more than %(n)d topics; split it.", n=limits.max_nodes))
    if root.depth() > limits.max_depth:
        raise MapFileError(_("The map is nested deeper than %(n)d levels.", n=limits.max_depth))
    if not root.children:
        raise MapFileError(_("The map is empty: its central topic has no branches."))
    return root


def _decode_text(data: bytes) -> str:
    _ = _messages()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MapFileError(_("The file is not UTF-8 text.")) from None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _first(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text_of(element) -> str:
    return "".join(element.itertext())


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
