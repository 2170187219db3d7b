"""The main menu, filled by the features: each registers its entries in its ``init_app``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    action: str  # shown only to those the permission table allows
    order: int
    active_prefixes: tuple[str, ...] = ()  # endpoints (or "blueprint.") that light it up


NAV: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in NAV):
        NAV.append(item)
        NAV.sort(key=lambda entry: entry.order)


def is_active(item: NavItem, endpoint: str | None) -> bool:
    if not endpoint:
        return False
    if endpoint == item.endpoint:
        return True
    return any(endpoint.startswith(prefix) for prefix in item.active_prefixes)
