"""where a person collaborates: issue_collaborator by (user, item) (issue 23)

My items lists the items a reader collaborates on; with the key (item, person) alone
the database read every item of the reader's task forces to find them.

Revision ID: 0050
Revises: 0049
"""

from alembic import op

revision = "0050"
down_revision = "0049"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_issue_collaborator_user", "issue_collaborator", ["user_id", "issue_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_issue_collaborator_user", table_name="issue_collaborator")
