"""indexes for the uncached first view: recently closed, counts per owner, latest update per author

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_issue_tf_status_closed", ["task_force_id", "status", "closed_at"], unique=False
        )
        batch_op.create_index(
            "ix_issue_tf_owner_status", ["task_force_id", "owner_id", "status"], unique=False
        )
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_update_tf_author",
            ["task_force_id", "author_id", "created_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_update_tf_author")
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_tf_owner_status")
        batch_op.drop_index("ix_issue_tf_status_closed")
