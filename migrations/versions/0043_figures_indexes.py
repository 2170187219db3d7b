"""the battle map's headline figures read from indexes alone (issue 23)

The index of (task force, status, closed_at) is widened with the columns the headline
figures and the lights test, so they are counted without reading the items' rows; the
overdue milestones are listed from an index of their own. The index of (task force,
owner, status) is widened likewise, so the counts per owner (the battle map's, the
scorecards') read no row either.

Revision ID: 0043
Revises: 0041
"""

from alembic import op

revision = "0043"
down_revision = "0041"
branch_labels = None
depends_on = None

_FIGURES = [
    "task_force_id",
    "status",
    "closed_at",
    "deadline",
    "created_at",
    "last_progress_at",
    "owner_id",
    "acknowledged_at",
    "major",
]

_OWNER_FIGURES = ["task_force_id", "owner_id", "status", "deadline", "closed_at", "created_at"]


def upgrade():
    with op.batch_alter_table("issue") as batch:
        batch.drop_index("ix_issue_tf_status_closed")
        batch.create_index("ix_issue_figures", _FIGURES, unique=False)
        batch.drop_index("ix_issue_tf_owner_status")
        batch.create_index("ix_issue_owner_figures", _OWNER_FIGURES, unique=False)
    with op.batch_alter_table("milestone") as batch:
        batch.create_index(
            "ix_milestone_tf_open", ["task_force_id", "done_on", "due_on", "issue_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("milestone") as batch:
        batch.drop_index("ix_milestone_tf_open")
    with op.batch_alter_table("issue") as batch:
        batch.drop_index("ix_issue_owner_figures")
        batch.create_index(
            "ix_issue_tf_owner_status", ["task_force_id", "owner_id", "status"], unique=False
        )
        batch.drop_index("ix_issue_figures")
        batch.create_index(
            "ix_issue_tf_status_closed", ["task_force_id", "status", "closed_at"], unique=False
        )
