"""The parts of the test world that belong to later features, one module each.

Each module defines ``URL_VALUES`` (route parameter -> function of the world) and
``build(world)``, which adds that feature's objects (ids go into ``world.ids``).
The permission-matrix test then covers every route of every feature.
"""

from __future__ import annotations

from importlib import import_module

PARTS = (
    "mindmap",
    "meetings",
    "escalations",
    "pilots",
    "reminders",
    "reports",
    "bulletins",
    "instructions",
    "discussion",
    "saved_views",
    "api",
)


def _modules():
    return [import_module(f"{__name__}.{name}") for name in PARTS]


def url_values() -> dict:
    values: dict = {}
    for module in _modules():
        values.update(module.URL_VALUES)
    return values


def build_parts(world) -> None:
    for module in _modules():
        module.build(world)
