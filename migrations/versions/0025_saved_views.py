"""saved views: named filters of the problem list and the board, and each person's default

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("namespace", sa.Integer(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name="fk_saved_view_task_force_id_task_force"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name="fk_saved_view_owner_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_view"),
        sa.UniqueConstraint("task_force_id", "namespace", "name", name="uq_saved_view_name"),
    )
    with op.batch_alter_table("saved_view", schema=None) as batch_op:
        batch_op.create_index("ix_saved_view_task_force_id", ["task_force_id"])
        batch_op.create_index("ix_saved_view_owner_id", ["owner_id"])

    op.create_table(
        "saved_view_default",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("view_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name="fk_saved_view_default_task_force_id_task_force",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_saved_view_default_user_id_user"),
        sa.ForeignKeyConstraint(
            ["view_id"], ["saved_view.id"], name="fk_saved_view_default_view_id_saved_view"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_saved_view_default"),
        sa.UniqueConstraint("task_force_id", "user_id", name="uq_saved_view_default_user"),
    )
    with op.batch_alter_table("saved_view_default", schema=None) as batch_op:
        batch_op.create_index("ix_saved_view_default_view_id", ["view_id"])


def downgrade():
    op.drop_table("saved_view_default")
    op.drop_table("saved_view")
