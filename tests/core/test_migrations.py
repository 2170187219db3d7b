"""The migrations and the models describe the same schema, on every engine."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def _described_by_models(obj, name, type_, reflected, compare_to) -> bool:
    """Not what an engine makes for itself (``metadata.info["engine_owned"]``: a
    full-text index's own tables and columns), which only the migrations describe."""
    if type_ == "column":
        name = f"{obj.table.name}.{name}"
    return name not in db.metadata.info.get("engine_owned", ())


def test_models_and_migrations_agree(ctx):
    with db.engine.connect() as connection:
        opts = {
            "compare_type": True,
            "render_as_batch": True,
            "include_object": _described_by_models,
        }
        context = MigrationContext.configure(connection, opts=opts)
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "the models changed without a migration: run `flask db migrate`"


def test_constraint_names_follow_the_convention(ctx):
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"
