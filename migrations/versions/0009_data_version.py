"""each task force's data version, for caching what is computed from its data

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_version", sa.BigInteger(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("task_force", schema=None) as batch_op:
        batch_op.drop_column("data_version")
