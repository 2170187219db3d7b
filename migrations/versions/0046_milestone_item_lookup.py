"""milestones: one item's open milestones found by (task force, item, done, due) (issue 23)

The index of (task force, done, due, item) made in 0043 lists the overdue milestones of
a task force. SQLite, without statistics, also took it for one item's milestones (the
light of every row of the mind map), reading every overdue milestone for each item: the
map's data went from 20 to 100 ms. The index of (task force, item) is widened with the
columns that search tests, so it is the better match again, and answers from itself.

Revision ID: 0046
Revises: 0045
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_milestone_tf_issue", table_name="milestone")
    op.create_index(
        "ix_milestone_tf_issue", "milestone", ["task_force_id", "issue_id", "done_on", "due_on"]
    )


def downgrade():
    op.drop_index("ix_milestone_tf_issue", table_name="milestone")
    op.create_index("ix_milestone_tf_issue", "milestone", ["task_force_id", "issue_id"])
