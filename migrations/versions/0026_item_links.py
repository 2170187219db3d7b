"""issues: links between items (关联) — blocks, relates to, duplicates

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issue_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["issue.id"], name=op.f("fk_issue_link_source_id_issue")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["issue.id"], name=op.f("fk_issue_link_target_id_issue")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_issue_link_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_issue_link_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_link")),
        sa.UniqueConstraint("source_id", "target_id", name="uq_issue_link_pair"),
    )
    with op.batch_alter_table("issue_link") as batch:
        batch.create_index("ix_issue_link_tf_source", ["task_force_id", "source_id"])
        batch.create_index("ix_issue_link_tf_target", ["task_force_id", "target_id"])


def downgrade():
    op.drop_table("issue_link")
