"""The activity stream (动态) and the personal feed, read from the audit log.

Nothing new is recorded: every service already writes an ``AuditEvent`` with its task
force, record kind and id, action and changes; ``core.history`` makes it read as words.
One page is one query for the events and their actors, then the names ``history`` loads
once per kind, and one query per kind to know which objects still exist: the number of
queries does not grow with the page.

Visibility is decided in SQL, so that paging counts only what the reader may see: an
event shows when it belongs to a task force the reader is on (the current one for the
stream; any of theirs for the feed) and its kind's view action is granted to the
reader's role there (``kinds.SOURCES``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from app.activity.following import followed_targets
from app.activity.kinds import GROUPS, SOURCES, group_of, groups_of, in_group, visible_kinds
from app.core import history
from app.core.links import in_task_force
from app.core.models import AuditEvent
from app.core.paging import newer_older
from app.core.permissions import allowed
from app.core.scope import unscoped
from app.decisions.models import Escalation
from app.extensions import db
from app.issues.models import Category, Issue
from app.people.models import User

PER_PAGE = 30


@dataclass(frozen=True)
class Filters:
    actor_id: int | None = None
    dimension_id: int | None = None
    group: str = ""


@dataclass
class Entry:
    line: history.Line
    group: str  # the label of its filter group
    link: str | None  # None: the object is gone
    task_force: str = ""  # named on the personal feed only


@dataclass
class Page:
    entries: list[Entry]
    page: int
    has_next: bool


# --- what a reader sees ------------------------------------------------------------------


def _visible_in(user: User, task_force_id: int) -> ColumnElement[bool]:
    kinds = visible_kinds(user.roles_in(task_force_id))
    if not kinds:
        return false()
    return and_(AuditEvent.task_force_id == task_force_id, AuditEvent.entity_type.in_(kinds))


def in_dimension(dimension_id: int) -> ColumnElement[bool]:
    """Events of the items, escalations and categories under one dimension."""
    categories = select(Category.id).where(Category.path.like(f"/{int(dimension_id)}/%"))
    items = select(Issue.id).where(Issue.category_id.in_(categories))
    escalations = select(Escalation.id).where(Escalation.issue_id.in_(items))
    return or_(
        and_(AuditEvent.entity_type == "issue", AuditEvent.entity_id.in_(items)),
        and_(AuditEvent.entity_type == "escalation", AuditEvent.entity_id.in_(escalations)),
        and_(AuditEvent.entity_type == "category", AuditEvent.entity_id.in_(categories)),
    )


def _filtered(condition: ColumnElement[bool], filters: Filters) -> ColumnElement[bool]:
    parts = [condition]
    if filters.actor_id:
        parts.append(AuditEvent.actor_id == filters.actor_id)
    if filters.group:
        parts.append(in_group(filters.group))
    if filters.dimension_id:
        parts.append(in_dimension(filters.dimension_id))
    return and_(*parts)


def stream_condition(user: User, task_force_id: int, filters: Filters) -> ColumnElement[bool]:
    """The task force's stream as ``user`` may read it, filtered."""
    return _filtered(_visible_in(user, task_force_id), filters)


def feed_task_forces(user: User, task_forces: Iterable) -> list:
    """Of ``task_forces`` (the reader's), those whose activity the reader may read."""
    return [tf for tf in task_forces if allowed(user.roles_in(tf.id), "activity.view")]


def feed_condition(user: User, task_force_ids: Iterable[int], filters: Filters):
    """What ``user`` follows, on every task force of ``task_force_ids`` they may read."""
    visible = [_visible_in(user, tf) for tf in task_force_ids]
    followed = [
        and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
        for kind, ids in followed_targets(user.id).items()
    ]
    if not visible or not followed:
        return false()
    return _filtered(and_(or_(*visible), or_(*followed)), filters)


# --- one page --------------------------------------------------------------------------


def read_page(
    condition: ColumnElement[bool],
    page: int,
    current_task_force_id: int | None,
    task_force_names: dict[int, str] | None = None,
    per_page: int | None = None,
) -> Page:
    """One page, newest first, of the events ``condition`` selects, as entries.

    ``task_force_names`` (the feed) names each entry's task force; links to another task
    force than the current one carry it (``?tf=``), so following one switches there.
    """
    per_page = per_page or PER_PAGE
    statement = (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(condition)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )

    def fetch(limit: int, offset: int):
        return db.session.execute(statement.limit(limit).offset(offset)).all()

    def count() -> int:
        return db.session.scalar(select(func.count(AuditEvent.id)).where(condition)) or 0

    # The feed crosses task forces; the stream's condition names its task force itself.
    with unscoped():
        rows, page, has_next = newer_older(fetch, count, page, per_page)
        lines = history.describe(rows)
        existing = _existing(lines)
    entries = []
    for line in lines:
        event = line.event
        source = SOURCES[event.entity_type]
        link = None
        if not source.own_page or event.entity_id in existing.get(event.entity_type, ()):
            link = in_task_force(
                source.link(event.entity_id), event.task_force_id, current_task_force_id
            )
        entries.append(
            Entry(
                line=line,
                group=str(GROUPS[group_of(event.entity_type, event.action)]),
                link=link,
                task_force=(task_force_names or {}).get(event.task_force_id, ""),
            )
        )
    return Page(entries, page, has_next)


def _existing(lines: list[history.Line]) -> dict[str, set[int]]:
    """Of the objects the lines name, those still there: one query per kind."""
    wanted: dict[str, set[int]] = {}
    for line in lines:
        kind = line.event.entity_type
        if SOURCES[kind].own_page and line.event.entity_id is not None:
            wanted.setdefault(kind, set()).add(line.event.entity_id)
    found: dict[str, set[int]] = {}
    for kind, ids in wanted.items():
        table = db.metadata.tables[kind]
        found[kind] = set(db.session.scalars(select(table.c.id).where(table.c.id.in_(ids))))
    return found


# --- the filters' choices ----------------------------------------------------------------


def dimension_options(task_force_id: int) -> list[tuple[int, str]]:
    """The task force's dimensions (top categories), in the framework's order."""
    rows = db.session.execute(
        select(Category.id, Category.name)
        .where(Category.task_force_id == task_force_id, Category.parent_id.is_(None))
        .order_by(Category.archived_at.is_not(None), Category.sort_order, Category.id)
    )
    return [(row.id, row.name) for row in rows]


def group_options(feed: bool = False) -> list[tuple[str, str]]:
    """The kinds to filter by: all of them, or on the feed those one can follow."""
    keys = groups_of(followed_targets(0)) if feed else list(GROUPS)
    return [(key, str(GROUPS[key])) for key in keys]
