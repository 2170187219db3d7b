"""grouped reminders: what each person was last told per rule and task force

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notify_told_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("told_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["user.id"], name=op.f("fk_notify_told_items_recipient_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_notify_told_items_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_told_items")),
        sa.UniqueConstraint(
            "rule", "recipient_id", "task_force_id", name="uq_notify_told_items_rule_recipient_tf"
        ),
    )


def downgrade():
    op.drop_table("notify_told_items")
