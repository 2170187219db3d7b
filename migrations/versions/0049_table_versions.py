"""each task force's table versions: when each of its tables last changed (issue 23)

The version is the task force's data version at that change.

A part of a page that reads a few tables (an item's meetings, its escalations) is kept
under the versions of those tables, so a change elsewhere (a progress note) leaves it
kept (core/freshness.py). The task forces there start from the data version they have.

Revision ID: 0049
Revises: 0048
"""

import sqlalchemy as sa
from alembic import op

revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("table_versions", sa.JSON(), server_default="{}", nullable=False)
        )
    # "*" stands for every table: what was kept before counts as changed at this version.
    task_force = sa.table(
        "task_force",
        sa.column("id", sa.Integer),
        sa.column("data_version", sa.BigInteger),
        sa.column("table_versions", sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(task_force.c.id, task_force.c.data_version)).all()
    for task_force_id, version in rows:
        connection.execute(
            task_force.update()
            .where(task_force.c.id == task_force_id)
            .values(table_versions={"*": version})
        )


def downgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.drop_column("table_versions")
