"""The main menu, filled by the features: each registers its entries in its ``init_app``.

An entry may belong to a group (``NavItem.group``, the key of a registered
``NavGroup``): the bar shows one dropdown per group, in the group's order, with the
entries the reader may use; a group with one such entry shows as a plain link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    action: str  # shown only to those the permission table allows
    order: int
    active_prefixes: tuple[str, ...] = ()  # endpoints (or "blueprint.") that light it up
    group: str = ""  # the key of a registered NavGroup; "" for a top-level entry


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: object  # a lazy string
    order: int
    icon: str = ""  # a Bootstrap icon name, "bi-…"


@dataclass(frozen=True)
class MenuEntry:
    """What the bar renders: a link (``items`` holds one) or a dropdown."""

    label: object
    icon: str
    active: bool
    items: tuple[tuple[NavItem, bool], ...] = field(default=())
    group: str = ""

    @property
    def is_dropdown(self) -> bool:
        return len(self.items) > 1

    @property
    def link(self) -> NavItem:
        return self.items[0][0]


NAV: list[NavItem] = []
GROUPS: dict[str, NavGroup] = {}


def register(item: NavItem) -> None:
    if all(existing.endpoint != item.endpoint for existing in NAV):
        NAV.append(item)
        NAV.sort(key=lambda entry: entry.order)


def register_group(group: NavGroup) -> None:
    GROUPS.setdefault(group.key, group)


# The menu's shape: the features place their entries in these.
for _group in (
    NavGroup("issues", _l("Issues"), 20, "bi-list-check"),
    NavGroup("meetings", _l("Meetings"), 50, "bi-people"),
    NavGroup("oversight", _l("Oversight"), 60, "bi-megaphone"),
    NavGroup("pilots", _l("Pilots and goals"), 70, "bi-graph-up-arrow"),
):
    register_group(_group)


def _match(item: NavItem, endpoint: str) -> int:
    """How closely ``item`` claims ``endpoint``: 0 not at all, else the length of the
    longest claim (its own endpoint beats every prefix)."""
    if endpoint == item.endpoint:
        return 10_000
    return max((len(p) for p in item.active_prefixes if endpoint.startswith(p)), default=0)


def is_active(item: NavItem, endpoint: str | None) -> bool:
    """Whether ``item`` lights up on ``endpoint``: only the entry that claims it most
    closely does ("My items" lights up alone, though "Problem list" covers every
    ``issues.`` page)."""
    if not endpoint:
        return False
    mine = _match(item, endpoint)
    return mine > 0 and all(_match(other, endpoint) <= mine for other in NAV if other is not item)


def menu(endpoint: str | None, allowed: Callable[[str], bool]) -> list[MenuEntry]:
    """The bar's entries for a reader who may do what ``allowed`` says, on ``endpoint``."""
    visible = [item for item in NAV if allowed(item.action)]
    slots: dict[str, list[NavItem]] = {}
    places: list[tuple[int, str, NavItem | None]] = []
    for item in visible:
        group = GROUPS.get(item.group)
        if group is None:
            places.append((item.order, "", item))
        elif group.key not in slots:
            slots[group.key] = [item]
            places.append((group.order, group.key, None))
        else:
            slots[group.key].append(item)
    entries = []
    for _order, key, single in sorted(places, key=lambda place: place[0]):
        members = [single] if single is not None else slots[key]
        lit = tuple((item, is_active(item, endpoint)) for item in members)
        group = GROUPS.get(key)
        if group is not None and len(members) > 1:
            label, icon = group.label, group.icon
        else:
            label, icon = members[0].label, ""
        entries.append(MenuEntry(label, icon, any(on for _item, on in lit), lit, key))
    return entries
