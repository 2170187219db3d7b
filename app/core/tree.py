"""Trees stored as rows with ``id`` and ``parent_id`` (org units, categories)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

Node = TypeVar("Node")


def depth_first(nodes: Iterable[Node], sort_key: Callable[[Node], Any]) -> list[tuple[Node, int]]:
    """``(node, depth)`` in tree order, siblings sorted by ``sort_key``.

    A node whose parent is not among ``nodes`` is left out with its subtree, so leaving
    out an archived node hides what hangs below it.
    """
    children: dict[Any, list[Node]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    rows: list[tuple[Node, int]] = []

    def walk(parent_id, depth: int) -> None:
        for node in sorted(children.get(parent_id, []), key=sort_key):
            rows.append((node, depth))
            walk(node.id, depth + 1)

    walk(None, 0)
    return rows


def indented_options(rows: Iterable[tuple[Node, int]], label: Callable[[Node], str]):
    """``(id, label)`` pairs for a select, each label indented by its depth."""
    return [(node.id, "\u3000" * depth + label(node)) for node, depth in rows]
