"""Markdown: headings and bullets, read line by line."""

from __future__ import annotations

import re

from app.mindmap.formats.base import (
    NUMBER_BY_PRIORITY,
    UNTITLED,
    Limits,
    MapFile,
    MapNode,
    _clean_title,
    _messages,
    _priority_from_number,
    _Tree,
)
from app.mindmap.formats.markup import checkbox, note_with_links, plain, protect

# Where headings start (as ``_heading`` reads them), found in one scan of the text.
_HEADING_START = re.compile(r"^(#{1,6})(?!#)[^\S\r\n]", re.MULTILINE)


# Logseq's block properties of its own (folding, block ids): not a note.
_LOGSEQ_PROPERTY = re.compile(r"\s*(?:collapsed|id)::\s")


_BULLET = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$")


_ITEM = re.compile(r"^\[([A-Z]{1,10}-\d{1,6})\]\s")


# How an export marks a category (a heading or bullet), with its id when it has one:
# ``## 客户端 <!-- category 12 -->`` (an HTML comment, which Markdown viewers do not show).
_CATEGORY = re.compile(r"[^\S\r\n]*<!--[^\S\r\n]*category(?:[^\S\r\n]+([^\s<>-]+))?[^\S\r\n]*-->$")


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
    return read_markdown_file(text, limits).root


def read_markdown_file(text: str, limits: Limits | None = None) -> MapFile:
    """Headings make the levels; bullets under a heading nest below it by indentation.

    A first ``#`` heading is the central topic when it is the only one; otherwise the
    document is the centre. Plain lines (or ``>`` lines) under a node are its note.
    Linear in the length of the text: no pattern backtracks and notes are joined once.
    Markup in titles is read as plain text (see ``markup``): a link's address goes to the
    note, an image is counted as left out, a ticked box marks the topic done.
    """
    limits = limits or Limits()
    _ = _messages()
    tree = _Tree(limits)
    levels = [len(m.group(1)) for m in _HEADING_START.finditer(text)]
    root = tree.node(1, UNTITLED)
    use_first_heading = levels.count(1) == 1 and levels[0] == 1
    # stack of (level, node); headings use levels 1..6, bullets 10 + indentation.
    stack: list[tuple[int, MapNode]] = [(0, root)]
    notes: dict[int, tuple[MapNode, list[str]]] = {}
    sizes: dict[int, int] = {}
    last: MapNode | None = None
    links: dict[int, tuple[MapNode, list[str]]] = {}
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
                read = plain(heading[1])
                root.title = _clean_title(read.title)
                tree.omitted.images += read.images
                if read.links:
                    links[id(root)] = (root, read.links)
                last = root
                continue
            item_text = heading[1]
        elif bullet:
            level = 10 + len(bullet.group(1).replace("\t", "    "))
            item_text = bullet.group(2)
        elif _LOGSEQ_PROPERTY.match(raw):
            continue
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
        node, node_links = _markdown_item(tree, len(stack) + 1, item_text)
        if node_links:
            links[id(node)] = (node, node_links)
        stack[-1][1].children.append(node)
        stack.append((level, node))
        last = node
    for node, note_lines in notes.values():
        node.note = "\n".join(note_lines)
    for node, addresses in links.values():
        tree.note(node, note_with_links(node.note, addresses, _("Link: %(url)s")))
    return MapFile(root=root, omitted=tree.omitted)


def _markdown_item(tree: _Tree, level: int, text: str) -> tuple[MapNode, list[str]]:
    """A heading's or bullet's text: ``[x] [KH-001] title — status !2 <!-- category 12 -->``,
    each part optional; and the link addresses its title held."""
    text = text.strip()
    kind = ref = None
    category = _CATEGORY.search(text) if text.endswith("-->") else None
    if category:
        kind, ref = "category", category.group(1)
        text = text[: category.start()].rstrip()
    text, _box, done = checkbox(text)
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
        code = item.group(1)
        kind = kind or "item"
    else:
        title, code, status = text, None, None
    read = plain(title)
    tree.omitted.images += read.images
    node = tree.node(
        level,
        _clean_title(read.title),
        code=code,
        status=status,
        priority=priority,
        kind=kind,
        ref=ref,
        done=done or read.done,
    )
    return node, read.links


def write_markdown(root: MapNode) -> bytes:
    """Categories as headings (down to level 6), items as bullets ``- [KH-001] title — status``.

    A category is marked ``<!-- category 12 -->`` (its id) so that one with no items is
    read back as a category, and a renamed one is recognised; a done topic is ``[x]``.
    """
    out = [f"# {_heading_text(root)}", ""]

    def note_lines(node: MapNode, indent: str) -> None:
        for line in node.note.splitlines():
            out.append(f"{indent}> {line}" if line.strip() else f"{indent}>")

    def heading(node: MapNode, depth: int) -> None:
        if out[-1]:
            out.append("")
        out.append("#" * depth + " " + _heading_text(node))
        if node.note:
            out.append("")
            note_lines(node, "")
        out.append("")
        children(node, depth)

    def children(node: MapNode, depth: int) -> None:
        """Items as bullets until a sub-category's heading; after one, an item is a heading
        too (a bullet would belong to that sub-category), so the order is kept."""
        after_heading = False
        for child in node.children:
            if child.code is None and depth < 6:
                heading(child, depth + 1)
                after_heading = True
            elif after_heading and depth < 6:
                heading(child, depth + 1)
            else:
                bullet(child, 0)
        if node.children and not after_heading:
            out.append("")

    def bullet(node: MapNode, indent: int) -> None:
        out.append(f"{'  ' * indent}- {_heading_text(node)}")
        if node.note:
            note_lines(node, "  " * (indent + 1))
        for child in node.children:
            bullet(child, indent + 1)

    children(root, 1)
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


def _heading_text(node: MapNode) -> str:
    """``[x] [KH-001] title — status !2 <!-- category 12 -->``, the parts the node has."""
    text = "[x] " if node.done else ""
    text += f"[{node.code}] " if node.code else ""
    text += protect(node.title)
    if node.code and node.status:
        text += f" — {node.status}"
    if node.priority:
        text += f" !{NUMBER_BY_PRIORITY[node.priority]}"
    if node.kind == "category":
        text += f" <!-- category {node.ref} -->" if node.ref else " <!-- category -->"
    return text
