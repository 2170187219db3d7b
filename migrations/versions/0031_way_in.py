"""each account's one way in: a local password, the directory, or a single sign-on

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("way_in", sa.String(length=16), nullable=False, server_default="local")
        )
        batch.add_column(
            sa.Column("oidc_subject", sa.String(length=255), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("oidc_subject")
        batch.drop_column("way_in")
