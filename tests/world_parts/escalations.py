"""The escalations feature's part of the test world."""

from __future__ import annotations

URL_VALUES: dict = {}


def build(world) -> None:
    """Add this feature's objects to the world (ids in world.ids)."""
