"""The mindmap feature's part of the test world."""

from __future__ import annotations

URL_VALUES: dict = {"fmt": lambda world: "opml"}


def build(world) -> None:
    """The mind map works on the problem list's categories and items; nothing to add."""
