"""Titles as outliners write them: Markdown and HTML markup read as plain text.

Workflowy writes ``<b>…</b>`` in OPML, Dynalist and Logseq/Obsidian write Markdown
(``**bold**``, ``[text](url)``, ``[[page]]``, ``- [x] done``). A title keeps the text; a
link's address goes to the note (the importer's description) and a ticked box marks the
topic done. Every pattern here excludes its own delimiter, so a line of 4 MB is read in
one pass whatever it holds.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# A box at the start of a title: ``[ ] open`` / ``[x] done``.
_CHECKBOX = re.compile(r"\[([ xX])\][^\S\r\n]+")

# Markdown's backslash escapes of ASCII punctuation; and the characters writers escape.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPECIAL = frozenset("\\*_[]()<>`!~=&#")

# Escaped and code characters are kept aside as private-use characters while markup is read.
_KEPT = 0xE000

_CODE = re.compile(r"`([^`]+)`")
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\(([^()\s]*)(?:\s+\"[^\"()]*\")?\)")
_EMBED = re.compile(r"!\[\[([^\[\]]+)\]\]")  # Obsidian's ``![[picture.png]]``
_WIKI = re.compile(r"\[\[([^\[\]|]+)(?:\|([^\[\]]+))?\]\]")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)(?:\s+\"[^\"()]*\")?\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^<>\s]+)>", re.IGNORECASE)
_IMG_TAG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\s[^<>]*?\bhref\s*=\s*[\"']([^\"'<>]*)[\"'][^<>]*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_STRONG = re.compile(r"(\*\*|__|~~|==)([^*_~=]+)\1")
# ``*x*``, but not the stars of ``2*3*4``.
_EMPHASIS = re.compile(r"(?<![*\\\d])\*([^*]+)\*(?![*\d])")


@dataclass
class Markup:
    title: str
    links: list[str] = field(default_factory=list)  # addresses, in the order of the title
    images: int = 0
    done: bool = False
    ticked: bool = False  # the title began with a box, ticked or not


def _keep(text: str) -> str:
    return "".join(chr(_KEPT + ord(char)) if ord(char) < 128 else char for char in text)


_RESTORE = {_KEPT + code: code for code in range(128)}
_ANY_KEPT = re.compile("[\ue000-\ue07f]")


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _emphasis(match: re.Match) -> str:
    inner = match.group(match.lastindex)
    if inner[:1].isspace() or inner[-1:].isspace():
        return match.group(0)
    return inner


def plain(text: str) -> Markup:
    """The plain text of a title written with Markdown or HTML markup, and what it held."""
    if _ANY_KEPT.search(text):
        return Markup(title=text)  # never confuse the file's own characters with kept ones
    out = Markup(title=text)
    text = _ESCAPE.sub(lambda m: _keep(m.group(1)), text)
    text, out.ticked, out.done = checkbox(text)
    text = _CODE.sub(lambda m: _keep(m.group(1)), text)

    alts: list[str] = []

    def image(match: re.Match) -> str:  # left out; its text stands in for an empty title
        out.images += 1
        alts.append(match.group(1))
        return ""

    def link(match: re.Match) -> str:
        out.links.append(_restore(match.group(2)))
        return match.group(1)

    def anchor(match: re.Match) -> str:
        out.links.append(html.unescape(match.group(1)))
        return ""

    text = _IMAGE.sub(image, text)
    text = _EMBED.sub(lambda m: image_tag(out), text)
    text = _WIKI.sub(lambda m: m.group(2) or m.group(1), text)
    text = _LINK.sub(link, text)
    text = _AUTOLINK.sub(lambda m: _keep(m.group(1)), text)
    text = _IMG_TAG.sub(lambda m: image_tag(out), text)
    text = _ANCHOR.sub(anchor, text)
    text = _BREAK.sub(" ", text)
    text = _TAG.sub("", text)
    text = _STRONG.sub(_emphasis, text)
    text = _EMPHASIS.sub(_emphasis, text)
    if not text.strip() and alts:
        text = " ".join(alts)
    out.title = _restore(html.unescape(text) if "&" in text else text)
    return out


def checkbox(text: str) -> tuple[str, bool, bool]:
    """(the rest, whether ``text`` begins with a box, whether it is ticked)."""
    stripped = text.lstrip()
    box = _CHECKBOX.match(stripped)
    if not box:
        return text, False, False
    return stripped[box.end() :], True, box.group(1) in "xX"


def image_tag(out: Markup) -> str:
    out.images += 1
    return ""


def protect(title: str) -> str:
    """``title`` as a writer puts it in Markdown or OPML so that :func:`plain` reads it back
    unchanged: as it is when it holds no markup, else with its punctuation escaped."""
    read = plain(title)
    if read.title == title and not (read.links or read.images or read.ticked):
        return title
    return "".join("\\" + char if char in _SPECIAL else char for char in title)


def note_with_links(note: str, links: list[str], line: str) -> str:
    """The note, then one line per link address not in it yet (``line`` formats one)."""
    extra = [line % {"url": url} for url in dict.fromkeys(links) if url and url not in note]
    return "\n".join(part for part in [note, *extra] if part)
