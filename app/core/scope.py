"""Task-force scoping, built into every ORM query.

A model that belongs to one task force inherits :class:`TaskForceScoped`. While a scope
is set (each request sets it to the current task force), every SELECT, UPDATE and
DELETE through the ORM gets ``task_force_id = <current>`` added for such models,
wherever they appear in the statement, including joins and relationship loads. A query
that touches a scoped model with no scope set raises :class:`ScopeMissing` instead of
quietly returning every task force's rows: code outside a request must say which task
force it works for (``task_force_scope``) or that it means all of them (``unscoped``).
New and changed rows are checked at flush time as well.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from threading import Lock
from weakref import WeakKeyDictionary

from sqlalchemy import ForeignKey, event, select
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.elements import FunctionFilter

from app.core.errors import NotFound


class ScopeMissing(RuntimeError):
    """A scoped model was queried with no task force in scope."""


class ScopeViolation(RuntimeError):
    """A row of one task force was written while another was in scope."""


def _filtered_aggregate_keeps_its_entity() -> None:
    """``count(Item.id).filter(…)`` (an aggregate's FILTER) forgets, in SQLAlchemy 2.1,
    that it reads an ORM entity: a SELECT of such columns alone compiled as plain SQL, so
    the scope's criteria below were never added to it (the battle map's quarter counted
    the closings of every task force) and, outside a scope, nothing said one was missing.
    The filtered aggregate now carries what its function or its criteria carry, as every
    other expression of an ORM attribute does (``tests/core/test_scope.py``)."""
    if getattr(FunctionFilter, "_gongjian_keeps_entity", False):
        return
    original = FunctionFilter.__init__

    def __init__(self, func, *criterion):
        original(self, func, *criterion)
        for element in (func, *criterion):
            attrs = getattr(element, "_propagate_attrs", None)
            if attrs:
                self._propagate_attrs = attrs
                break

    FunctionFilter.__init__ = __init__
    FunctionFilter._gongjian_keeps_entity = True


_filtered_aggregate_keeps_its_entity()

_UNSET = object()
UNSCOPED = object()
_scope: ContextVar = ContextVar("task_force_scope", default=_UNSET)


class TaskForceScoped:
    """Mixin for models that belong to exactly one task force.

    Rows that hang off a parent (a milestone off an issue) set ``__scope_index__ = False``
    and declare a composite index (task_force_id, parent_id) instead: a lone
    task_force_id index tempts SQLite's planner into scanning a whole task force's rows
    for every parent when the scope criterion is added to a correlated subquery.
    """

    __scope_index__ = True

    @declared_attr
    def task_force_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("task_force.id"), index=cls.__scope_index__, nullable=False)


def current_scope():
    """The task force id in scope, ``UNSCOPED``, or ``None`` when nothing is set."""
    value = _scope.get()
    return None if value is _UNSET else value


def set_scope(task_force_id):
    """Set the scope for the rest of this context; returns a token for ``reset_scope``.

    ``None`` is a valid scope: a user on no task force sees no scoped rows at all.
    """
    return _scope.set(task_force_id)


def reset_scope(token) -> None:
    _scope.reset(token)


@contextmanager
def task_force_scope(task_force_id):
    token = _scope.set(task_force_id)
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def unscoped():
    """Deliberately work across task forces (admin pages, CLI, the scheduler)."""
    token = _scope.set(UNSCOPED)
    try:
        yield
    finally:
        _scope.reset(token)


def _touches_scoped(state) -> bool:
    return any(issubclass(m.class_, TaskForceScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _add_scope_criteria(state) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = _scope.get()
    if scope is UNSCOPED:
        return
    if scope is _UNSET:
        if _touches_scoped(state):
            raise ScopeMissing(
                "query on a task-force model without a task force in scope; "
                "use task_force_scope(id) or unscoped()"
            )
        return
    # ``None`` (no current task force) matches no row.
    wanted = -1 if scope is None else scope
    statement = state.statement
    with _scoped_lock:
        kept = _scoped_statements.setdefault(statement, {}).get(wanted)
    if kept is None:
        kept = statement.options(
            with_loader_criteria(
                TaskForceScoped,
                lambda cls: cls.task_force_id == wanted,
                include_aliases=True,
            )
        )
        with _scoped_lock:
            _scoped_statements[statement][wanted] = kept
    state.statement = kept


# A statement's scoped copy per task force, as long as the statement lives: a statement
# kept and run again (``core.database.kept_statement``) keeps the key SQLAlchemy makes of
# its copy at the first run (half a millisecond for the board's cards).
_scoped_statements: WeakKeyDictionary = WeakKeyDictionary()
_scoped_lock = Lock()


@event.listens_for(Session, "before_flush")
def _check_scope_on_write(session, flush_context, instances) -> None:
    scope = _scope.get()
    if scope is UNSCOPED or scope is _UNSET:
        # Outside a request the writer named the task force explicitly on each row.
        for obj in session.new:
            if isinstance(obj, TaskForceScoped) and obj.task_force_id is None:
                raise ScopeMissing(f"{type(obj).__name__} created without a task force")
        return
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TaskForceScoped):
            continue
        if obj.task_force_id is None and scope is not None:
            obj.task_force_id = scope
        if obj.task_force_id != scope:
            raise ScopeViolation(
                f"{type(obj).__name__} of task force {obj.task_force_id} written "
                f"while task force {scope} is in scope"
            )


def check_bulk_rows(model: type, rows) -> None:
    """The rule ``_check_scope_on_write`` applies to the ORM's writes, for rows written
    in bulk past the ORM (``notify/store.py``): each row of a task-force table names its
    task force, and inside a task force's scope that one only.

    :raise ScopeMissing, ScopeViolation: as for one object.
    """
    if not (isinstance(model, type) and issubclass(model, TaskForceScoped)):
        return
    scope = _scope.get()
    for row in rows:
        task_force_id = row.get("task_force_id")
        if task_force_id is None:
            raise ScopeMissing(f"{model.__name__} written in bulk without a task force")
        if scope is not UNSCOPED and scope is not _UNSET and task_force_id != scope:
            raise ScopeViolation(
                f"{model.__name__} of task force {task_force_id} written in bulk "
                f"while task force {scope} is in scope"
            )


def get_in_scope(session, model, ident):
    """Load one row by primary key within the current scope, or raise ``NotFound``.

    Unlike ``Session.get`` this always runs SQL, so an object already in the identity
    map from an unscoped query cannot slip through.
    """
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound("not found") from None
    obj = session.scalars(select(model).where(model.id == ident)).one_or_none()
    if obj is None:
        raise NotFound(f"{model.__name__} {ident} not found")
    scope = _scope.get()
    if isinstance(obj, TaskForceScoped) and scope is not UNSCOPED and obj.task_force_id != scope:
        raise NotFound(f"{model.__name__} {ident} not found")
    return obj
