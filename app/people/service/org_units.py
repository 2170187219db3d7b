"""The bank's org units, a tree of branches, departments and outlets."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.core import audit, clock
from app.core.errors import ValidationFailed
from app.core.permissions import authorize
from app.core.service import check_version
from app.core.tree import depth_first, indented_options
from app.extensions import db
from app.people.models import ORG_UNIT_KINDS, OrgUnit, User
from app.people.service.accounts import _get_or_not_found


@dataclass
class OrgUnitInput:
    name: str
    kind: str
    parent_id: int | None = None
    sort_order: int = 0


def _check_org_unit_input(data: OrgUnitInput, unit: OrgUnit | None = None) -> None:
    if data.kind not in ORG_UNIT_KINDS:
        raise ValidationFailed(_("Unknown kind."), "kind")
    if data.parent_id is None:
        return
    parent = db.session.get(OrgUnit, data.parent_id)
    if parent is None:
        raise ValidationFailed(_("Unknown org unit."), "parent_id")
    # Walking up from the new parent must never reach the unit itself.
    seen = set()
    node = parent
    while node is not None and node.id not in seen:
        if unit is not None and node.id == unit.id:
            raise ValidationFailed(_("A unit cannot be moved under itself."), "parent_id")
        seen.add(node.id)
        node = node.parent


def create_org_unit(actor: User, data: OrgUnitInput) -> OrgUnit:
    authorize(actor, "orgunit.manage")
    _check_org_unit_input(data)
    unit = OrgUnit(
        name=data.name, kind=data.kind, parent_id=data.parent_id, sort_order=data.sort_order
    )
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "created", unit, {"name": [None, unit.name]}, summary=unit.name)
    return unit


def update_org_unit(actor: User, unit: OrgUnit, data: OrgUnitInput, version: int | None) -> OrgUnit:
    authorize(actor, "orgunit.manage")
    check_version(unit, version)
    _check_org_unit_input(data, unit)
    changes = audit.apply_changes(
        unit,
        {
            "name": data.name,
            "kind": data.kind,
            "parent_id": data.parent_id,
            "sort_order": data.sort_order,
        },
    )
    if changes:
        audit.record(actor, "updated", unit, changes, summary=unit.name)
    db.session.flush()  # a save that lost the race is refused here, where its form shows it
    return unit


def set_org_unit_archived(actor: User, unit: OrgUnit, archived: bool) -> None:
    authorize(actor, "orgunit.manage")
    changes = audit.apply_changes(unit, {"archived_at": clock.now() if archived else None})
    if changes:
        audit.record(actor, "archived" if archived else "restored", unit, summary=unit.name)


def get_org_unit(unit_id) -> OrgUnit:
    """:raise NotFound: for an unknown id."""
    return _get_or_not_found(OrgUnit, unit_id)


@dataclass
class TreeRow:
    unit: OrgUnit
    depth: int


def org_unit_tree(include_archived: bool = True) -> list[TreeRow]:
    """Every unit in tree order (depth-first, by sort order then name), in one query."""
    units = [u for u in db.session.scalars(select(OrgUnit)) if include_archived or not u.archived]
    return [TreeRow(unit, depth) for unit, depth in depth_first(units, _unit_order)]


def org_unit_neighbours(unit: OrgUnit) -> tuple[list[OrgUnit], list[OrgUnit]]:
    """The units above ``unit`` (the top first) and its open units below, in one query."""
    units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
    parents: list[OrgUnit] = []
    parent_id = unit.parent_id
    while parent_id in units and units[parent_id] not in parents:
        parents.insert(0, units[parent_id])
        parent_id = units[parent_id].parent_id
    children = sorted(
        (u for u in units.values() if u.parent_id == unit.id and not u.archived), key=_unit_order
    )
    return parents, children


def _unit_order(unit: OrgUnit):
    return (unit.sort_order, unit.name)


def org_unit_options(exclude_id: int | None = None) -> list[tuple[int, str]]:
    """(id, indented name) of the open units, for selects, without ``exclude_id``."""
    # The open units' columns the tree and the labels need, not the units as objects.
    units = db.session.execute(
        select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.name, OrgUnit.sort_order).where(
            OrgUnit.archived_at.is_(None)
        )
    )
    rows = [(u, depth) for u, depth in depth_first(units, _unit_order) if u.id != exclude_id]
    return indented_options(rows, lambda u: u.name)
