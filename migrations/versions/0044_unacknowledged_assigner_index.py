"""issues: a partial index for "my items"' assigned by me, not yet acknowledged (issue 23)

Revision ID: 0044
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

UNACKNOWLEDGED = sa.text("acknowledged_at IS NULL")


def upgrade():
    op.create_index(
        "ix_issue_unacknowledged_assigner",
        "issue",
        ["assigned_by_id"],
        sqlite_where=UNACKNOWLEDGED,
        postgresql_where=UNACKNOWLEDGED,
    )


def downgrade():
    op.drop_index("ix_issue_unacknowledged_assigner", table_name="issue")
