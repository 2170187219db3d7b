"""single sign-on providers: OpenID Connect, WeCom, DingTalk, Feishu

Revision ID: 0033
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("link_by_email", sa.Boolean(), nullable=False),
        sa.Column("link_by_mobile", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_provider"),
        sa.UniqueConstraint("kind", name="uq_sign_in_provider_kind"),
    )


def downgrade():
    op.drop_table("sign_in_provider")
