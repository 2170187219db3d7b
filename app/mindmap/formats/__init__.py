"""Mind-map files in and out: XMind 8 and Zen, FreeMind/Freeplane .mm, OPML, Markdown.

Every reader returns one :class:`MapNode` tree (the central topic and its children);
every writer takes one. Nothing here touches the database. :func:`read_map_file` also
says which sheet was read (XMind files have several), and counts in :class:`Omitted`
what the file holds that the tree does not take (other sheets, floating topics,
summaries, callouts, relationships, labels, markers, links, images, comments), so the
preview can say so: nothing is left out silently, and same-named siblings stay apart.

Writers mark what an import needs to find things again: an item's code and status, a
category's id (XMind: the topic id ``gongjian-category-12``; .mm: the attribute
``category``; OPML: ``_category``; Markdown: ``<!-- category 12 -->``) so that an empty
category stays a category and a renamed one is recognised, and done. Outliners' markup
in titles (Markdown, HTML) is read as plain text (``markup``), links kept in the note.

Hostile files are refused before they cost memory: archives are checked for entry count
and total uncompressed size from the central directory *before* anything is read, each
read is capped again while decompressing, and every XML document goes through defusedxml
(no DTDs, no declared entities, no external references; HTML's named entities, which
Freeplane writes in rich text, become character references first). An unreadable file is
refused with the line and the reason. Readers are iterative, never recursive:
XML is streamed (each element is dropped once read), Markdown is read line by line, and
the limits on topics, depth and note length are checked while the tree is built, so a map
nested 3,000 deep or a note of 4 MB is refused with a message instead of costing a worker.
"""

from __future__ import annotations

from app.mindmap.formats.base import (
    CODE_RE,
    EXTENSIONS,
    FORMATS,
    NUMBER_BY_PRIORITY,
    PRIORITY_BY_NUMBER,
    UNTITLED,
    Limits,
    MapFile,
    MapFileError,
    MapNode,
    Omitted,
    _check_size,
    _decode_text,
    _messages,
)
from app.mindmap.formats.freemind import read_freemind, read_freemind_file, write_freemind
from app.mindmap.formats.markdown import read_markdown, read_markdown_file, write_markdown
from app.mindmap.formats.opml import read_opml, read_opml_file, write_opml
from app.mindmap.formats.xmind import (
    JSON_VALUES_PER_TOPIC,
    read_xmind,
    read_xmind_file,
    write_xmind,
)
from app.mindmap.formats.xmind8 import no_such_sheet

__all__ = [
    "CODE_RE",
    "EXTENSIONS",
    "FORMATS",
    "JSON_VALUES_PER_TOPIC",
    "Limits",
    "MapFile",
    "MapFileError",
    "MapNode",
    "Omitted",
    "NUMBER_BY_PRIORITY",
    "PRIORITY_BY_NUMBER",
    "UNTITLED",
    "WRITERS",
    "detect_format",
    "read_freemind",
    "read_map",
    "read_map_file",
    "read_markdown",
    "read_opml",
    "read_xmind",
    "write_freemind",
    "write_markdown",
    "write_opml",
    "write_xmind",
]


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
    return read_map_file(filename, data, limits).root


def read_map_file(
    filename: str, data: bytes, limits: Limits | None = None, sheet: int = 0
) -> MapFile:
    """Parse an uploaded file: the tree of sheet ``sheet`` (XMind has several), the titles
    of all sheets, and what the file holds that an import does not take.

    :raise MapFileError: with a message for people.
    """
    limits = limits or Limits()
    _ = _messages()
    fmt = detect_format(filename)
    if not data:
        raise MapFileError(_("The file is empty."))
    if sheet < 0:
        raise no_such_sheet(sheet, 1)
    if fmt == "xmind":
        read = read_xmind_file(data, limits, sheet)
    elif sheet:  # the other formats hold one map
        raise no_such_sheet(sheet, 1)
    elif fmt == "mm":
        read = read_freemind_file(data, limits)
    elif fmt == "opml":
        read = read_opml_file(data, limits)
    else:
        read = read_markdown_file(_decode_text(data), limits)
    _check_size(read.root, limits)
    return read


WRITERS = {
    "xmind": (write_xmind, "application/vnd.xmind.workbook", "xmind"),
    "mm": (write_freemind, "application/x-freemind", "mm"),
    "opml": (write_opml, "text/x-opml", "opml"),
    "md": (write_markdown, "text/markdown; charset=utf-8", "md"),
}
