"""Insert-or-skip on a unique key, the same on SQLite and PostgreSQL.

One of the speed devices that stay (ARCHITECTURE.md, "Speed devices"): the reminder pass
writes its messages in bulk past the ORM. The writes still keep the house's rules: the
rows of a task-force table are checked against the scope, and their task forces get a
new data version at the commit (``_as_any_write``), as for a write through the ORM.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def _insert(table: Table):
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def _model_of(table: Table):
    return next((m.class_ for m in db.Model.registry.mappers if m.local_table is table), None)


def _as_any_write(table: Table, rows: list[dict]) -> None:
    """The scope check and the data version of an ORM write, for rows written in bulk."""
    from app.core.freshness import note_bulk_write
    from app.core.scope import check_bulk_rows
    from app.core.unit import note_write

    model = _model_of(table)
    check_bulk_rows(model, rows)
    note_bulk_write(db.session(), model, rows)
    note_write(db.session())


def insert_or_skip(table: Table, rows: list[dict], *unique: str) -> int:
    """Insert ``rows``; a row whose ``unique`` columns already exist is skipped.

    Returns how many rows were written. Safe under concurrency: two processes inserting
    the same key at once write it once (the database's unique constraint decides).
    A reminder pass writes tens of thousands of rows, so this goes straight to the
    driver: on PostgreSQL one statement over arrays (``unnest``), on SQLite the driver's
    executemany; the ORM's per-row parameter handling would cost more than the writing.
    """
    if not rows:
        return 0
    _as_any_write(table, rows)
    dialect = db.session.get_bind().dialect
    keys = list(rows[0])
    connection = db.session.connection()
    if dialect.name == "postgresql":
        return _insert_unnest(connection, dialect, table, keys, rows, unique)
    statement = _insert(table).on_conflict_do_nothing(index_elements=list(unique))
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    # Column types still convert their values (SQLite stores datetimes as text).
    processors = {
        key: processor
        for key in keys
        if (processor := table.c[key].type._cached_bind_processor(dialect)) is not None
    }
    if processors:
        rows = [
            {k: (processors[k](v) if k in processors else v) for k, v in row.items()}
            for row in rows
        ]
    if compiled.positional:
        order = compiled.positiontup
        parameters = [tuple(row[k] for k in order) for row in rows]
    else:
        parameters = rows
    # Without RETURNING the driver's row count is the number of rows written.
    return connection.exec_driver_sql(compiled.string, parameters).rowcount


def _insert_unnest(connection, dialect, table: Table, keys, rows, unique) -> int:
    columns = ", ".join(dialect.identifier_preparer.quote(k) for k in keys)
    arrays = ", ".join(f"%s::{table.c[k].type.compile(dialect=dialect)}[]" for k in keys)
    conflict = ", ".join(dialect.identifier_preparer.quote(k) for k in unique)
    name = dialect.identifier_preparer.format_table(table)
    # Rows already there (the common case: a rule run again) are dropped by a cheap
    # anti-join; ON CONFLICT still settles a race with another process.
    present = " AND ".join(f"t.{c} = u.{c}" for c in (conflict.split(", ")))
    sql = (
        f"INSERT INTO {name} ({columns}) "
        f"SELECT * FROM unnest({arrays}) AS u ({columns}) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {name} AS t WHERE {present}) "
        f"ON CONFLICT ({conflict}) DO NOTHING"
    )
    parameters = tuple([row[k] for row in rows] for k in keys)
    return connection.exec_driver_sql(sql, parameters).rowcount


def insert_select_or_skip(table: Table, columns: list[str], query, *unique: str) -> int:
    """``INSERT … SELECT`` with the same skip on conflict; returns how many were written."""
    statement = (
        _insert(table)
        .from_select(columns, query)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(table.c.id)
    )
    return len(db.session.execute(statement).all())


def upsert(table: Table, rows: list[dict], unique: tuple[str, ...]) -> None:
    """Insert ``rows``, or overwrite the other columns of a row whose ``unique`` exist.

    Rows are written in the order of their unique columns, so two processes writing the
    same rows at once take their locks in the same order and never deadlock.
    """
    if not rows:
        return
    _as_any_write(table, rows)
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in unique))
    statement = _insert(table)
    changed = {k: statement.excluded[k] for k in rows[0] if k not in unique}
    statement = statement.on_conflict_do_update(index_elements=list(unique), set_=changed)
    db.session.execute(statement, rows)
