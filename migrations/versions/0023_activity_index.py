"""activity: the audit log read newest first within one task force

The activity stream (动态) reads a task force's audit events newest first (by time, then
id); an index on (task_force_id, at, id) answers that without sorting the task force's
whole history.

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_task_force_at", "audit_event", ["task_force_id", "at", "id"])


def downgrade():
    op.drop_index("ix_audit_event_task_force_at", table_name="audit_event")
