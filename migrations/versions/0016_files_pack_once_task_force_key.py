"""one review pack per quarter at a time; a stable key on task forces (for the demo)

A second request for a quarter's pack while one is queued or being built answers with
that one: a partial unique index makes it one row, whichever worker asks. A task force
gets an optional unique ``key`` so that ``flask demo load`` finds its own task forces
by key, never by a name people may change or reuse.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

IN_PROGRESS = sa.text("status IN ('queued', 'running')")


def upgrade():
    # Where several packs of a quarter are still queued or running (the requests this
    # fixes), all but the latest are failed: the index allows one.
    op.execute(
        "UPDATE review_pack SET status = 'failed', error = 'superseded by a later request' "
        "WHERE status IN ('queued', 'running') AND id NOT IN ("
        "SELECT latest FROM (SELECT MAX(id) AS latest FROM review_pack "
        "WHERE status IN ('queued', 'running') GROUP BY task_force_id, quarter) AS kept)"
    )
    op.create_index(
        "uq_review_pack_in_progress",
        "review_pack",
        ["task_force_id", "quarter"],
        unique=True,
        sqlite_where=IN_PROGRESS,
        postgresql_where=IN_PROGRESS,
    )
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_task_force_key", ["key"], unique=True)


def downgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.drop_index("ix_task_force_key")
        batch_op.drop_column("key")
    op.drop_index("uq_review_pack_in_progress", table_name="review_pack")
