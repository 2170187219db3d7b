"""escalations and meetings linked: a decision's meeting is a real foreign key

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # Decisions recorded before the link may name a meeting that does not exist.
    op.execute(
        "UPDATE decision SET meeting_id = NULL WHERE meeting_id IS NOT NULL "
        "AND meeting_id NOT IN (SELECT id FROM meeting)"
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_meeting_id_meeting"), "meeting", ["meeting_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decision_meeting_id_meeting"), type_="foreignkey")
