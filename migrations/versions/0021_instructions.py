"""the leader's instructions (领导批示) on items and escalations

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issue.id"], name=op.f("fk_instruction_issue_id_issue")
        ),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_instruction_escalation_id_escalation"),
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"], ["user.id"], name=op.f("fk_instruction_written_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["read_by_id"], ["user.id"], name=op.f("fk_instruction_read_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["user.id"], name=op.f("fk_instruction_answered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_instruction_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruction")),
    )
    with op.batch_alter_table("instruction") as batch:
        batch.create_index(batch.f("ix_instruction_issue_id"), ["issue_id"], unique=False)
        batch.create_index(
            batch.f("ix_instruction_escalation_id"), ["escalation_id"], unique=False
        )
        batch.create_index(
            batch.f("ix_instruction_written_by_id"), ["written_by_id"], unique=False
        )
        batch.create_index(
            "ix_instruction_tf_answered", ["task_force_id", "answered_at"], unique=False
        )
        batch.create_index(
            "ix_instruction_tf_written", ["task_force_id", "written_at"], unique=False
        )


def downgrade():
    op.drop_table("instruction")
