"""a task force's month: its milestones and rollouts by (task force, day) (issue 23)

The calendar shows a month's milestones, done or not, and its rollouts. With the
tables' statistics SQLite read them through the indexes of days across every task force
(the milestones 30 ms with 50 task forces); these indexes read the task force's alone.

Revision ID: 0051
Revises: 0050
"""

from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_milestone_tf_due", "milestone", ["task_force_id", "due_on"], unique=False)
    op.create_index(
        "ix_rollout_task_tf_planned", "rollout_task", ["task_force_id", "planned_on"], unique=False
    )


def downgrade():
    op.drop_index("ix_rollout_task_tf_planned", table_name="rollout_task")
    op.drop_index("ix_milestone_tf_due", table_name="milestone")
