"""How an audit event reads: what happened, to what, and which fields changed how.

Audit events keep keys (``status_changed``, ``owner_id: 3 → 11``); a person reads labels
and names (状态变更, 责任人：王芳 → 李明远). Core keeps the registry and the rendering;
each feature registers, in its ``init_app``, the labels of its record kinds, actions,
fields and values, the names of its rows and the references its fields hold (a user's
id, a category's id…). Names are loaded once per page and kind (one query each), never
per row. A key nobody registered is shown as it is, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l
from sqlalchemy import select

from app.core.i18n import format_moment
from app.extensions import db

EMPTY = "—"

KINDS: dict[str, Any] = {}
ACTIONS: dict[tuple[str | None, str], Any] = {}
FIELDS: dict[tuple[str | None, str], Any] = {}
# (kind or None, field) -> a mapping of values to labels, or the name of a reference
VALUES: dict[tuple[str | None, str], Mapping | str] = {}
# a reference's name ("user") -> (table, the columns that name a row)
REFERENCES: dict[str, tuple[str, tuple[str, ...]]] = {}
# a record kind -> the columns that name its rows (its table is the kind)
NAMES: dict[str, tuple[str, ...]] = {}

# Actions and fields many kinds share; a feature's own entry wins over these.
ACTIONS.update(
    {
        (None, "created"): pgettext_l("audit action", "Created"),
        (None, "updated"): _l("Edited"),
        (None, "archived"): _l("Archived"),
        (None, "restored"): _l("Restored"),
        (None, "decided"): _l("Decided"),
        (None, "imported"): _l("Imported"),
    }
)
FIELDS.update(
    {
        (None, "name"): _l("Name"),
        (None, "title"): _l("Title"),
        (None, "status"): _l("Status"),
        (None, "description"): _l("Description"),
        (None, "notes"): _l("Notes"),
        (None, "archived_at"): _l("Archived on"),
        (None, "active"): _l("Active"),
        (None, "role"): _l("Role"),
        (None, "org_unit_id"): _l("Lead unit"),
        (None, "owner_id"): _l("Owner"),
        (None, "deadline"): _l("Deadline"),
    }
)
VALUES.update({(None, "org_unit_id"): "org_unit", (None, "owner_id"): "user"})


def register(
    kind: str | None = None,
    label: Any = None,
    actions: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    values: Mapping[str, Mapping | str] | None = None,
    names: tuple[str, ...] | None = None,
) -> None:
    """Register how ``kind``'s events read (``kind=None``: for every kind)."""
    if kind is not None and label is not None:
        KINDS[kind] = label
    for key, text in (actions or {}).items():
        ACTIONS[(kind, key)] = text
    for key, text in (fields or {}).items():
        FIELDS[(kind, key)] = text
    for key, value in (values or {}).items():
        VALUES[(kind, key)] = value
    if kind is not None and names:
        NAMES[kind] = names


def register_reference(name: str, table: str, columns: tuple[str, ...]) -> None:
    """Field values that are ids of ``table``'s rows read as ``columns`` joined."""
    REFERENCES[name] = (table, columns)


def describe_action(kind: str, action: str) -> str:
    text = ACTIONS.get((kind, action)) or ACTIONS.get((None, action))
    return str(text) if text is not None else action


def kind_label(kind: str) -> str:
    text = KINDS.get(kind)
    return str(text) if text is not None else kind


def field_label(kind: str, name: str) -> str:
    if "." in name:  # a part's field: "吉林分行.status"
        part, sub = name.rsplit(".", 1)
        return f"{part} · {field_label(kind, sub)}"
    text = FIELDS.get((kind, name)) or FIELDS.get((None, name))
    return str(text) if text is not None else name


def _value_rule(kind: str, name: str):
    name = name.rsplit(".", 1)[-1]
    rule = VALUES.get((kind, name))
    return rule if rule is not None else VALUES.get((None, name))


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str
    raw: list = field(default_factory=list)


@dataclass
class Line:
    event: Any
    actor: Any
    action: str
    record: str
    changes: list[Change]


def _names(table_name: str, columns: tuple[str, ...], ids: set[int]) -> dict[int, str]:
    table = db.metadata.tables.get(table_name)
    if table is None or not ids:
        return {}
    cols = [table.c[c] for c in columns]
    rows = db.session.execute(select(table.c.id, *cols).where(table.c.id.in_(ids)))
    return {row[0]: " ".join(str(v) for v in row[1:] if v not in (None, "")) for row in rows}


def _ids(value) -> list:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


class _Reader:
    def __init__(self, events: list):
        wanted: dict[str, set[int]] = {}
        for event in events:
            for name, change in (event.changes or {}).items():
                rule = _value_rule(event.entity_type, name)
                if isinstance(rule, str) and isinstance(change, list):
                    for value in change:
                        wanted.setdefault(rule, set()).update(_ids(value))
        self.refs = {
            ref: _names(*REFERENCES[ref], ids) for ref, ids in wanted.items() if ref in REFERENCES
        }

    def text(self, kind: str, name: str, value) -> str:
        if value is None or value == "" or value == []:
            return EMPTY
        rule = _value_rule(kind, name)
        if isinstance(value, list):
            return "、".join(self.text(kind, name, v) for v in value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(rule, str):
            return self.refs.get(rule, {}).get(value, str(value))
        if rule is not None:
            text = rule.get(value)
            return str(text) if text is not None else str(value)
        if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
            try:
                return format_moment(datetime.fromisoformat(value))
            except ValueError:
                return value
        return str(value)


def _record_names(events: list) -> dict[tuple[str, int], str]:
    by_kind: dict[str, set[int]] = {}
    for event in events:
        if event.entity_type in NAMES:
            by_kind.setdefault(event.entity_type, set()).add(event.entity_id)
    found: dict[tuple[str, int], str] = {}
    for kind, ids in by_kind.items():
        for id_, name in _names(kind, NAMES[kind], ids).items():
            found[(kind, id_)] = name
    return found


def record_text(kind: str, entity_id: int, name: str | None) -> str:
    if name:
        return _("%(kind)s “%(name)s”", kind=kind_label(kind), name=name)
    return _("%(kind)s No. %(id)s", kind=kind_label(kind), id=entity_id)


def describe(rows: Iterable) -> list[Line]:
    """``(event, actor)`` rows as lines a person reads, names loaded once per kind."""
    rows = list(rows)
    events = [event for event, _actor in rows]
    reader = _Reader(events)
    names = _record_names(events)
    lines = []
    for event, actor in rows:
        kind = event.entity_type
        changes = [
            Change(
                name,
                field_label(kind, name),
                reader.text(kind, name, change[0] if isinstance(change, list) else None),
                reader.text(kind, name, change[1] if isinstance(change, list) else change),
                change if isinstance(change, list) else [None, change],
            )
            for name, change in sorted((event.changes or {}).items())
        ]
        lines.append(
            Line(
                event=event,
                actor=actor,
                action=describe_action(kind, event.action),
                record=record_text(kind, event.entity_id, names.get((kind, event.entity_id))),
                changes=changes,
            )
        )
    return lines


def action_choices(kind: str | None = None) -> list[tuple[str, str]]:
    """Every registered action as ``(key, label)`` (for a filter's choices)."""
    keys = sorted({a for k, a in ACTIONS if kind is None or k in (None, kind)})
    return [(a, describe_action(kind or "", a)) for a in keys]


def install(app) -> None:
    app.jinja_env.globals["history_lines"] = describe
