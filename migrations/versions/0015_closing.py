"""closing means closed: what was still open when an item was closed anyway

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issue") as batch_op:
        batch_op.add_column(sa.Column("open_at_closing", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("issue") as batch_op:
        batch_op.drop_column("open_at_closing")
