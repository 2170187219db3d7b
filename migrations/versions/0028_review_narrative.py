"""reports: the quarterly review's narrative (汇报正文), drafted and approved in the app,
and the pack's Word file

Revision ID: 0028
Revises: 0027
"""

from alembic import op
import sqlalchemy as sa


revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "review_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["user.id"], name=op.f("fk_review_draft_approved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_review_draft_updated_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_review_draft_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_draft")),
        sa.UniqueConstraint("task_force_id", "quarter", name="uq_review_draft_quarter"),
    )
    with op.batch_alter_table("review_draft", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_draft_task_force_id"), ["task_force_id"], unique=False
        )

    op.create_table(
        "review_draft_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["review_draft.id"],
            name=op.f("fk_review_draft_section_draft_id_review_draft"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_review_draft_section_updated_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_review_draft_section_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_draft_section")),
        sa.UniqueConstraint("draft_id", "key", name="uq_review_draft_section_key"),
    )
    with op.batch_alter_table("review_draft_section", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_draft_section_tf_draft", ["task_force_id", "draft_id"], unique=False
        )

    with op.batch_alter_table("review_pack", schema=None) as batch_op:
        batch_op.add_column(sa.Column("narrative", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("docx", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("docx_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("built_by", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("review_pack", schema=None) as batch_op:
        batch_op.drop_column("built_by")
        batch_op.drop_column("docx_size")
        batch_op.drop_column("docx")
        batch_op.drop_column("narrative")
    with op.batch_alter_table("review_draft_section", schema=None) as batch_op:
        batch_op.drop_index("ix_review_draft_section_tf_draft")
    op.drop_table("review_draft_section")
    with op.batch_alter_table("review_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_draft_task_force_id"))
    op.drop_table("review_draft")
