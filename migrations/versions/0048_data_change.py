"""the journal of each task force's data versions: which items each one changed (issue 23)

Every commit that moves a task force's data version writes a row for the new version,
and one more for each item it changed. Figures kept per task force (the battle map's
counts, ``issues/tally.py``) move on by recounting only those items (core/freshness.py).

Revision ID: 0048
Revises: 0047
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("any_item", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_change")),
    )
    op.create_index(
        "ix_data_change_task_force_version", "data_change", ["task_force_id", "version"]
    )


def downgrade():
    op.drop_index("ix_data_change_task_force_version", table_name="data_change")
    op.drop_table("data_change")
