"""Markdown: headings and bullets, read line by line."""

from __future__ import annotations

import re

from app.mindmap.formats.base import (
    NUMBER_BY_PRIORITY,
    UNTITLED,
    Limits,
    MapNode,
    _clean_title,
    _priority_from_number,
    _Tree,
)

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
