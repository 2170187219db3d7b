"""Each task force's data version, and a cache of what is computed from it.

Any change to a task force's rows bumps ``task_force.data_version`` in the same
transaction (just before the commit, so the row lock is held for an instant), and so
does a change to the bank-wide rows shown on its pages (people's names, org units).
Heavy read-only parts of pages — the battle map, the list's result table — are cached
per worker under a key that holds the version, the day (traffic lights change with the
date), the language and the reader's roles: a key can never return what was true before
a change, so nothing needs to be invalidated by hand.

A change to the task force's setup — the rows of ``SETUP_TABLES``: its categories,
members, saved views, the people and units — also bumps ``task_force.setup_version``.
The parts of pages that show the setup alone (the filter bar's choices, the bulk bar's
fields, the views menu) are kept under that version instead (``setup=True``), so a
change to an item (a progress note, an edit, most of a task force's changes) leaves
them kept. Such a part reads no other table: while one is built, a statement naming
another fails the tests (``ReadsUndeclared``) and is logged by a server.

Each commit also stamps, in ``task_force.table_versions``, every table it changed with the
new data version ({table: version}; a row of an association table counts with the rows
it links). A part of a page that reads a few tables (an item's escalations, its
meetings) is kept under the versions of those tables alone (``reads=``), so a change to
another table (a progress note) leaves it kept. It is checked like a setup part: while
it is built, a statement naming a table it did not declare fails the tests
(``ReadsUndeclared``), and so does a kept part inside it that depends on more.

Each new data version is journalled (``DataChange``) with the items the commit changed
(an item's own row, or a row with its ``issue_id``), so that what is counted from the
items can move from one version to the next by recounting those alone
(``issues.tally``). Versions are numbered under the task force's row lock, so a reader
who sees version N sees every journal row up to N.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from itertools import chain
from pathlib import Path
from threading import Lock
from typing import Any, NamedTuple

from flask import current_app, has_app_context
from markupsafe import Markup
from sqlalchemy import JSON, bindparam, column, delete, event, insert, inspect, table, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.scope import TaskForceScoped

logger = logging.getLogger(__name__)

_task_force = table(
    "task_force",
    column("id"),
    column("data_version"),
    column("setup_version"),
    column("table_versions", JSON),
)
_data_change = table(
    "data_change", column("task_force_id"), column("version"), column("item_id"), column("any_item")
)
_PENDING = "gongjian.changed_task_forces"
_PENDING_SETUP = "gongjian.changed_setups"
_PENDING_TABLES = "gongjian.changed_tables"  # {task force: the tables it changed}
_PENDING_ITEMS = "gongjian.changed_item_rows"  # the rows of items (and of their parts)
_PENDING_UNNAMED = "gongjian.changed_items_unnamed"  # task forces with unnamed item changes
# A commit naming more items than this journals "any item" instead (an import, say).
_ITEMS_NAMED = 200
# The journal is trimmed of versions older than ``_KEPT_VERSIONS`` each time a version
# is a multiple of this.
_TRIM_EVERY = 256
_KEPT_VERSIONS = 1024  # versions journalled per task force (``DataChange``)
_ALL = "all"
_EVERY_TABLE = "*"  # in ``table_versions``: a version at which every table counts as changed

# Bank-wide tables whose rows appear on task-force pages, and the columns of theirs that
# do not (a login stamps last_login_at; that must not empty every cache).
_SHOWN_GLOBAL = {"user", "org_unit", "task_force"}
_NOT_SHOWN = {"last_login_at", "password_hash", "locale", "current_task_force_id", "updated_at"}
# Columns of a table with a version of their own, as if a table ("table:group"): a part
# that shows only an item's heading (its code and title beside an escalation) is kept
# under that, not under the item's row, which every note changes. Stamped when a commit
# changes one of the columns, or rows of the table it cannot tell apart (a bulk write).
COLUMN_GROUPS = {
    "issue:heading": ("issue", frozenset({"id", "code", "title", "major", "task_force_id"})),
}
# What the parts kept under the setup version read (and all they may read).
SETUP_TABLES = frozenset(
    {"category", "membership", "saved_view", "saved_view_default", *_SHOWN_GLOBAL}
)


class SetupVersion(NamedTuple):
    """The version in a key made with ``setup=True``: what is built under it may read
    only ``SETUP_TABLES`` (``_check_read``)."""

    number: int


class TablesVersion(NamedTuple):
    """The version in a key made with ``reads=``: the data versions at which each of
    ``tables``, and every table ("*"), last changed. What is built under it may read only
    ``tables`` (``_check_read``)."""

    tables: frozenset[str]
    versions: tuple[int, ...]


class ReadsUndeclared(AssertionError):
    """A part kept under the versions of some tables (the setup's, or those it names)
    read another table, or holds a part that depends on more: it would outlive a change
    to that table."""


# The tables the part being built may read (None: any; not building a kept part).
_READS: ContextVar[frozenset[str] | None] = ContextVar("gongjian_reads", default=None)
_TABLES_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


def _declared_reads(key: Hashable) -> frozenset[str] | None:
    """The tables a part under ``key`` may read, or None when its key holds the whole
    data version."""
    if isinstance(key, tuple):
        for part in key:
            if isinstance(part, SetupVersion):
                return SETUP_TABLES
            if isinstance(part, TablesVersion):
                return part.tables
    return None


def _undeclared(message: str) -> None:
    """Tests fail (every page the suite shows is checked); a server logs it."""
    if has_app_context() and current_app.testing:
        raise ReadsUndeclared(message)
    logger.error(message)


def _reading_only(tables: frozenset[str] | None, key: Hashable, build: Callable[[], Any]):
    """``build`` checked to read only ``tables``; inside a part that may read fewer, a
    part under ``key`` is refused (kept, it would hide what it reads from the check)."""
    outer = _READS.get()
    if outer is not None and (tables is None or not tables <= outer):
        wider = "every table" if tables is None else sorted(tables - outer)
        _undeclared(f"a part reading {sorted(outer)} holds one that reads {wider}: {key!r}")
    if tables is None:
        return build

    def build_reading_only() -> Any:
        token = _READS.set(tables)
        try:
            return build()
        finally:
            _READS.reset(token)

    return build_reading_only


@event.listens_for(Engine, "before_cursor_execute")
def _check_read(conn, cursor, statement, parameters, context, executemany) -> None:
    """While a part kept under some tables' versions is built, every table a statement
    reads must be one of them."""
    allowed = _READS.get()
    if allowed is None:
        return
    others = {
        name
        for name in set(_TABLES_READ.findall(statement)) - allowed
        if not _reads_group_only(name, allowed, statement)
    }
    if others:
        tables = f"a part kept under the versions of {sorted(allowed)} read {sorted(others)}"
        _undeclared(f"{tables}: {statement}")


def _reads_group_only(table_name: str, allowed: frozenset[str], statement: str) -> bool:
    """Whether ``statement`` reads of ``table_name`` (under its name or an alias) only
    the columns of a group ``allowed`` names (``COLUMN_GROUPS``)."""
    columns = frozenset().union(
        *(
            cols
            for group, (of, cols) in COLUMN_GROUPS.items()
            if of == table_name and group in allowed
        )
    )
    if not columns:
        return False
    aliases = re.findall(rf'\b(?:FROM|JOIN)\s+"?{table_name}"?\s+AS\s+"?(\w+)"?', statement, re.I)
    names = "|".join(re.escape(name) for name in (table_name, *aliases))
    used = re.findall(rf'(?<![\w."])"?(?:{names})"?\."?(\w+)"?', statement)
    return bool(used) and set(used) <= columns


def _note(
    session: Session,
    task_force_id,
    table_name: str | None,
    columns: frozenset[str] | None = None,
) -> None:
    """``task_force_id`` (or ``_ALL``) changed at the commit, its setup too if
    ``table_name`` is one of the setup's; ``columns``: the row's changed columns (None:
    any, a new or deleted row, or rows written in bulk)."""
    session.info.setdefault(_PENDING, set()).add(task_force_id)
    tables = session.info.setdefault(_PENDING_TABLES, {})
    changed = tables.setdefault(task_force_id, set())
    changed.add(table_name or _EVERY_TABLE)
    for group, (of, group_columns) in COLUMN_GROUPS.items():
        if of == table_name and (columns is None or columns & group_columns):
            changed.add(group)
    if table_name in SETUP_TABLES:
        session.info.setdefault(_PENDING_SETUP, set()).add(task_force_id)


def _of_items(table_name: str | None, model: Any) -> bool:
    """Rows of items (``issue``) and of what hangs off one (its milestones, progress
    notes, extension requests: anything with an ``issue_id``)."""
    return table_name == "issue" or hasattr(model, "issue_id")


def _changed_items(rows: list) -> tuple[dict[int, set[int]], set]:
    """The items each task force's changed rows belong to ({task force: item ids}), and
    the task forces with a changed row whose item is not known (read after the flush:
    a new item has its id, a new part its item's)."""
    items: dict[int, set[int]] = {}
    unnamed: set = set()
    for row in rows:
        try:
            item_id = row.id if row.__tablename__ == "issue" else row.issue_id
            task_force_id = row.task_force_id
        except SQLAlchemyError:  # a deleted row's attributes may be gone
            unnamed.add(_ALL)
            continue
        if item_id is None:
            unnamed.add(task_force_id)
        else:
            items.setdefault(task_force_id, set()).add(item_id)
    return items, unnamed


def _changed_columns(obj: Any) -> frozenset[str] | None:
    """The attributes a changed row changed (None: a new or deleted row)."""
    state = inspect(obj)
    if state.pending or state.deleted or obj in state.session.deleted:
        return None
    return frozenset(attr.key for attr in state.attrs if attr.history.has_changes())


def _shown(columns: frozenset[str] | None) -> bool:
    """Whether a change of ``columns`` (None: a new or deleted row) shows on a page."""
    return columns is None or bool(columns - _NOT_SHOWN)


def _links_changed(obj: Any) -> list[str]:
    """The association tables whose rows ``obj``'s change writes (an item's
    collaborators, a pilot's items): those of its changed many-to-many collections, or
    all of them for a new or deleted row."""
    state = inspect(obj)
    whole = state.pending or state.deleted or obj in state.session.deleted
    return [
        relationship.secondary.name
        for relationship in state.mapper.relationships
        if relationship.secondary is not None
        and (whole or state.attrs[relationship.key].history.has_changes())
    ]


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, flush_context, instances) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        table_name = getattr(obj, "__tablename__", None)
        if isinstance(obj, TaskForceScoped):
            columns = _changed_columns(obj) if obj in session.dirty else None
            if obj.task_force_id is not None and _shown(columns):
                _note(session, obj.task_force_id, table_name, columns)
                for link_table in _links_changed(obj):
                    _note(session, obj.task_force_id, link_table)
                if _of_items(table_name, obj):
                    session.info.setdefault(_PENDING_ITEMS, []).append(obj)
        elif table_name in _SHOWN_GLOBAL and _shown(_changed_columns(obj)):
            if table_name == "task_force" and obj.id is not None:
                _note(session, obj.id, table_name)
            else:
                _note(session, _ALL, table_name)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    if entity is not None and issubclass(entity, TaskForceScoped):
        _note(state.session, _ALL, entity.__tablename__)
        if _of_items(entity.__tablename__, entity):
            state.session.info.setdefault(_PENDING_UNNAMED, set()).add(_ALL)


def note_bulk_write(session: Session, model: type, rows) -> None:
    """Rows written in bulk past the ORM (``notify/store.py``) count as any write: the
    task forces they belong to get a new version at the commit."""
    table_name = getattr(model, "__tablename__", None)
    if isinstance(model, type) and issubclass(model, TaskForceScoped):
        for row in rows:
            _note(session, row["task_force_id"], table_name)
            if _of_items(table_name, model):
                session.info.setdefault(_PENDING_UNNAMED, set()).add(row["task_force_id"])
    elif table_name in _SHOWN_GLOBAL:
        _note(session, _ALL, table_name)


@event.listens_for(Session, "before_commit")
def _bump_versions(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, set())
    setups = session.info.pop(_PENDING_SETUP, set())  # a part of ``pending``
    tables = session.info.pop(_PENDING_TABLES, {})
    item_rows = session.info.pop(_PENDING_ITEMS, [])
    unnamed = session.info.pop(_PENDING_UNNAMED, set())
    for name, changed in (("data_version", pending), ("setup_version", setups)):
        if changed:
            connection = session.connection()
            version = _task_force.c[name]
            stmt = update(_task_force).values({version: version + 1})
            if _ALL not in changed:
                stmt = stmt.where(_task_force.c.id.in_(sorted(changed)))
            if name == "setup_version":
                connection.execute(stmt)
                continue
            bumped = connection.execute(
                stmt.returning(_task_force.c.id, version, _task_force.c.table_versions)
            ).all()
            _stamp_tables(connection, bumped, tables)
            items, more_unnamed = _changed_items(item_rows)
            _journal(connection, [(tf, v) for tf, v, _ in bumped], items, unnamed | more_unnamed)


def _stamp_tables(connection, bumped, tables: dict) -> None:
    """Each bumped task force's changed tables stamped with its new version (its row is
    locked by the bump, so no other commit stamps it meanwhile)."""
    stamped = []
    for task_force_id, version, kept in bumped:
        changed = tables.get(task_force_id, set()) | tables.get(_ALL, set())
        if changed:
            merged = dict(kept or {}) | dict.fromkeys(changed, version)
            stamped.append({"stamped_id": task_force_id, "stamped": merged})
    if stamped:
        connection.execute(
            update(_task_force)
            .where(_task_force.c.id == bindparam("stamped_id"))
            .values(table_versions=bindparam("stamped")),
            stamped,
        )


def _journal(connection, bumped, items: dict[int, set[int]], unnamed: set) -> None:
    """The new data versions (``DataChange``): a row for each, and one for each item of
    its task force that the commit changed, or "any item" when they cannot be named."""
    rows = []
    for task_force_id, version in bumped:
        named = items.get(task_force_id, set())
        any_item = _ALL in unnamed or task_force_id in unnamed or len(named) > _ITEMS_NAMED
        rows.append(
            {
                "task_force_id": task_force_id,
                "version": version,
                "item_id": None,
                "any_item": any_item,
            }
        )
        if not any_item:
            rows += [
                {
                    "task_force_id": task_force_id,
                    "version": version,
                    "item_id": item,
                    "any_item": False,
                }
                for item in sorted(named)
            ]
    if rows:
        connection.execute(insert(_data_change), rows)
    for task_force_id, version in bumped:
        if version % _TRIM_EVERY == 0:
            connection.execute(
                delete(_data_change).where(
                    _data_change.c.task_force_id == task_force_id,
                    _data_change.c.version <= version - _KEPT_VERSIONS,
                )
            )


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    for name in (_PENDING, _PENDING_SETUP, _PENDING_TABLES, _PENDING_ITEMS, _PENDING_UNNAMED):
        session.info.pop(name, None)


def restart_versions() -> None:
    """After a restore, give every task force a version no running server has seen:
    the restored numbers may repeat ones cached before. A stamp in milliseconds is above
    anything the +1 steps since an earlier restore can have reached."""
    from sqlalchemy import inspect as inspect_db

    from app.core import clock
    from app.extensions import db

    columns = {c["name"] for c in inspect_db(db.engine).get_columns("task_force")}
    versions = [name for name in ("data_version", "setup_version") if name in columns]
    if not versions:
        return  # a backup from before versions existed: `flask db upgrade` adds them
    with db.engine.begin() as connection:
        stamp = int(clock.now().timestamp() * 1000)
        values: dict[str, Any] = dict.fromkeys(versions, stamp)
        if "table_versions" in columns:
            values["table_versions"] = {_EVERY_TABLE: stamp}
        connection.execute(update(_task_force).values(values))


class FragmentCache:
    """A small per-process LRU of rendered fragments and computed figures, in front of an
    optional folder the host's workers share (``SharedFragments``)."""

    def __init__(self, size: int, shared: SharedFragments | None = None):
        self.size = size
        self.shared = shared if size > 0 else None
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], Any], text: bool = False) -> Any:
        """The value kept under ``key``, or ``build()``'s, kept. A ``text`` value (a
        rendered fragment) is also kept for the host's other workers, built by one."""
        build = _reading_only(_declared_reads(key), key, build)
        if self.size <= 0:
            return build()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = self.shared.get_or_build(key, build) if text and self.shared else build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
        if self.shared is not None:
            self.shared.clear()


class SharedFragments:
    """Rendered fragments kept in a folder that every worker of this host reads, so that
    after a change each page is computed once per host, not once per worker.

    A file is named by the hash of its key, which holds the data version like every key
    here: a file can never answer for data that has since changed. Its builder holds a
    lock on the key (``flock``) while it builds, so a second worker asking meanwhile
    waits for the file instead of computing the same page; after ``LOCK_WAIT`` seconds
    it builds its own (a build that hangs blocks nobody for long). Files are written
    whole and renamed into place, so a reader never sees half of one. When the folder
    holds more than ``limit`` files, the oldest go (checked at most once a minute per
    worker); a fragment read after that is simply computed again.
    """

    LOCK_WAIT = 5.0
    PRUNE_EVERY = 60.0

    def __init__(self, folder: Path, limit: int):
        self.folder = folder
        self.limit = limit
        self._pruned_at = 0.0
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: Hashable) -> Path:
        return self.folder / hashlib.sha256(repr(key).encode()).hexdigest()

    def _read(self, path: Path) -> Markup | None:
        try:
            return Markup(path.read_text(encoding="utf-8"))
        except OSError:  # not built yet (or unreadable: built again)
            return None

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        path = self._path(key)
        kept = self._read(path)
        if kept is not None:
            return kept
        with self._locked(path.with_suffix(".lock")):
            kept = self._read(path)  # built by another worker while this one waited
            if kept is not None:
                return kept
            value = build()
            if isinstance(value, str):
                self._write(path, value)
        return value

    @contextmanager
    def _locked(self, lock_path: Path):
        try:
            lock_file = open(lock_path, "a")  # noqa: SIM115 (held across the yield)
        except OSError as error:  # a full disk or a folder made read-only: build anyway
            logger.warning("fragment folder unusable: %s", error)
            yield
            return
        with lock_file:
            waited = 0.0
            while True:
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waited >= self.LOCK_WAIT:
                        yield  # the other builder is stuck: build without the lock
                        return
                    time.sleep(0.002)
                    waited += 0.002
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _write(self, path: Path, value: str) -> None:
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            temporary.write_text(value, encoding="utf-8")
            os.replace(temporary, path)
        except OSError as error:
            logger.warning("fragment not kept: %s", error)
            with suppress(OSError):
                os.remove(temporary)
            return
        if time.monotonic() - self._pruned_at > self.PRUNE_EVERY:
            self._pruned_at = time.monotonic()
            self.prune()

    def prune(self) -> None:
        """The oldest files beyond ``limit`` removed, with their locks."""
        entries = []
        for entry in os.scandir(self.folder):
            if "." not in entry.name:
                try:
                    entries.append((entry.stat().st_mtime, entry.path))
                except FileNotFoundError:
                    continue  # pruned by another worker meanwhile
        entries.sort(reverse=True)
        for _, stale in entries[self.limit :]:
            for path in (stale, f"{stale}.lock"):
                with suppress(FileNotFoundError):
                    os.remove(path)

    def clear(self) -> None:
        for entry in os.scandir(self.folder):
            with suppress(FileNotFoundError):
                os.remove(entry.path)


def worker_cache(
    name: str,
    size_setting: str,
    default_size: int,
    shared: Callable[[], SharedFragments | None] | None = None,
) -> FragmentCache:
    """This process's cache called ``name``, sized by the setting ``size_setting``, in
    front of the host's folder that ``shared()`` opens, if any."""
    key = f"gongjian.{name}"
    cache = current_app.extensions.get(key)
    if cache is None:
        size = current_app.config.get(size_setting, default_size)
        cache = FragmentCache(size, shared() if shared is not None else None)
        current_app.extensions[key] = cache
    return cache


def _shared_fragments() -> SharedFragments | None:
    """The host's folder of fragments (``FRAGMENT_CACHE_DIR``), None when not set or not
    usable (fragments then stay in each worker's memory)."""
    config = current_app.config
    folder = config.get("FRAGMENT_CACHE_DIR")
    if not folder:
        return None
    try:
        return SharedFragments(Path(folder), config["FRAGMENT_CACHE_FILES"])
    except OSError as error:
        logger.warning("fragments kept per worker: %s", error)
        return None


def fragment_cache() -> FragmentCache:
    return worker_cache("fragments", "FRAGMENT_CACHE_SIZE", 256, _shared_fragments)


def cache_key(*parts: Hashable, setup: bool = False, reads: Iterable[str] | None = None) -> tuple:
    """What a cached part of a page depends on: the task force's data, the day, the
    language, the reader's roles and the traffic-light settings, plus ``parts``. A
    ``setup`` part depends on the task force's setup instead of all its data (it reads
    only ``SETUP_TABLES``); a part that ``reads`` only some tables, on theirs."""
    from flask import g
    from flask_babel import get_locale
    from flask_login import current_user

    from app.core import clock

    task_force = g.get("task_force")
    task_force_id = task_force.id if task_force is not None else None
    version = None
    if task_force is not None:
        version = SetupVersion(task_force.setup_version) if setup else task_force.data_version
        if reads is not None:
            version = tables_version(task_force, reads)
    config = current_app.config
    return (
        task_force_id,
        # With the version, the task force's birth: a database made anew (the demo
        # loaded again) starts its versions at 1 again, and the host's kept files stay.
        task_force.created_at if task_force is not None else None,
        version,
        clock.today(),
        str(get_locale()),
        tuple(sorted(current_user.roles_in(task_force_id))),
        config["LIGHT_DUE_SOON_DAYS"],
        config["LIGHT_STALE_DAYS"],
        *parts,
    )


def tables_version(task_force, reads: Iterable[str]) -> TablesVersion:
    """The versions of the tables ``reads`` names in ``task_force`` (0: not changed since
    versions were kept per table), with that of every table."""
    stamped = task_force.table_versions or {}
    tables = frozenset(reads)
    versions = tuple(stamped.get(name, 0) for name in (*sorted(tables), _EVERY_TABLE))
    return TablesVersion(tables, versions)


def setup_value(name: str, task_force_id: int, build: Callable[[], Any]) -> Any:
    """``build()``, a value of ``task_force_id``'s setup alone (its categories for a
    picker, the people work can be assigned to), kept under its setup version for the
    day: the same for every reader and page. Kept by each worker; built afresh outside a
    request or for a task force other than the request's (whose version is not read)."""
    from flask import g, has_request_context

    from app.core import clock

    task_force = g.get("task_force") if has_request_context() else None
    if task_force is None or task_force.id != task_force_id:
        return build()
    # Not ``cache_key``'s key: that holds the reader's roles and language, and these
    # values are the same for every reader.
    key = (
        name,
        task_force_id,
        task_force.created_at,
        SetupVersion(task_force.setup_version),
        clock.today(),
    )
    return fragment_cache().get_or_build(key, build)


def render_cached(template: str, key: tuple, build_context: Callable[[], dict]):
    """``template`` rendered with what ``build_context()`` returns, from the cache when
    the same key was rendered before. The fragment sees what a page sees; anything that
    depends on more than the task force's data, the day, the language and the reader's
    roles must be part of ``key``."""

    def build():
        context = build_context()
        current_app.update_template_context(context)
        return Markup(current_app.jinja_env.get_template(template).render(context))

    return fragment_cache().get_or_build((template, *key), build, text=True)


def _page_key(
    personal: bool,
    across: Iterable = (),
    setup: bool = False,
    reads: Iterable[str] | None = None,
) -> tuple:
    from flask import request, session
    from flask_login import current_user

    parts: tuple = (request.path, request.query_string)
    if personal:
        from flask_wtf.csrf import generate_csrf

        generate_csrf()  # the session's token exists before it is part of the key
        parts += (current_user.id, session.get("csrf_token"))
    # A page across several task forces shows what each one's data and roles say.
    parts += tuple(
        (
            tf.id,
            tf.data_version if reads is None else tables_version(tf, reads),
            tuple(sorted(current_user.roles_in(tf.id))),
        )
        for tf in across
    )
    return cache_key(*parts, setup=setup, reads=reads)


def cached_body(
    template: str,
    build_context: Callable[[], dict],
    personal: bool = False,
    across: Iterable = (),
    setup: bool = False,
):
    """A page's content for this URL, from the cache when nothing it shows has changed.

    ``personal`` pages (what is mine, with forms) are kept per reader and session: their
    CSRF tokens belong to the session. A page that shows the data of several task forces
    names them in ``across`` (``TaskForce`` rows, read in this request). A ``setup``
    part shows only the task force's setup (see ``cache_key``).
    """
    return render_cached(template, _page_key(personal, across, setup), build_context)


def cached_value(
    name: str, build: Callable[[], Any], personal: bool = False, setup: bool = False
) -> Any:
    """A small value of this URL's page (its title, say), cached like its content."""
    return fragment_cache().get_or_build((name, *_page_key(personal, setup=setup)), build)


def kept_part(
    name: str,
    reads: Iterable[str],
    build: Callable[[], Markup],
    parts: tuple = (),
    personal: bool = False,
    across: Iterable = (),
) -> Markup:
    """A fragment of this URL's page that reads only the tables ``reads`` names (and
    depends on ``parts`` besides), kept until one of them changes (in this task force,
    or in each of ``across``). ``build`` is checked to read no other table."""
    key = (name, *parts, *_page_key(personal, across, reads=reads))
    return fragment_cache().get_or_build(key, build, text=True)


def kept_value(
    name: str,
    reads: Iterable[str],
    build: Callable[[], Any],
    parts: tuple = (),
    task_force_id: int | None = None,
) -> Any:
    """As ``kept_part``, a value (rows, events) kept by each worker: what ``build``
    returns is shared by the requests that ask for it, and must not be changed. A value
    of ``task_force_id`` is kept only in a request about that task force (whose versions
    the key holds); elsewhere (a job, another task force) it is built afresh."""
    from flask import g, has_request_context

    if task_force_id is not None and not (
        has_request_context() and getattr(g.get("task_force"), "id", None) == task_force_id
    ):
        return build()
    key = (name, *parts, *_page_key(False, reads=reads))
    return fragment_cache().get_or_build(key, build)
