"""each task force's setup version: its categories, people and saved views (issue 23)

The parts of a page that show only the task force's setup (the filter bar's choices,
the bulk bar's fields, the views menu) are kept under this version, so that a change to
an item (a progress note, an edit) leaves them kept (core/freshness.py).

Revision ID: 0047
Revises: 0046
"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("setup_version", sa.BigInteger(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.drop_column("setup_version")
