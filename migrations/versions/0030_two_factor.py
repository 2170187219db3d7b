"""two-factor sign-in: authenticator secrets, recovery codes, remembered devices

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_two_factor_user_id_user"),
        sa.PrimaryKeyConstraint("user_id", name="pk_two_factor"),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_recovery_code_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_code"),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index("ix_recovery_code_user_id", ["user_id"], unique=False)
    op.create_table(
        "remembered_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_remembered_device_user_id_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_remembered_device"),
        sa.UniqueConstraint("token_hash", name="uq_remembered_device_token_hash"),
    )
    with op.batch_alter_table("remembered_device", schema=None) as batch_op:
        batch_op.create_index("ix_remembered_device_user_id", ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("remembered_device", schema=None) as batch_op:
        batch_op.drop_index("ix_remembered_device_user_id")
    op.drop_table("remembered_device")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index("ix_recovery_code_user_id")
    op.drop_table("recovery_code")
    op.drop_table("two_factor")
