"""The features, floor by floor: ``create_app`` calls each one's ``init_app(app)``, which
imports its tables and registers its blueprint, menu entries, hook providers, review-pack
sections and commands.

Within a floor the order is the order in which providers answer a hook (the decisions'
section comes before the meetings' and the pilots' on "My items")."""

from __future__ import annotations

from types import ModuleType

from app import (
    activity,
    api,
    core,
    dashboard,
    decisions,
    discussion,
    intake,
    issues,
    kpis,
    meetings,
    mindmap,
    notify,
    people,
    pilots,
    reports,
    search,
)

FEATURES: tuple[ModuleType, ...] = (
    core,
    people,
    issues,
    discussion,
    decisions,
    meetings,
    pilots,
    kpis,
    intake,
    mindmap,
    notify,
    reports,
    activity,
    dashboard,
    search,
    api,
)
