"""reports: monthly supervision bulletins (督办通报)

Revision ID: 0029
Revises: 0028
"""

from alembic import op
import sqlalchemy as sa


revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

IN_PROGRESS = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("built_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("docx", sa.LargeBinary(), nullable=True),
        sa.Column("docx_size", sa.Integer(), nullable=True),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user.id"], name=op.f("fk_bulletin_requested_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name=op.f("fk_bulletin_task_force_id_task_force")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
        sa.UniqueConstraint("task_force_id", "month", "number", name="uq_bulletin_version"),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_task_force_id"), ["task_force_id"], unique=False
        )
        batch_op.create_index(
            "uq_bulletin_in_progress",
            ["task_force_id", "month"],
            unique=True,
            sqlite_where=IN_PROGRESS,
            postgresql_where=IN_PROGRESS,
        )


def downgrade():
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_index("uq_bulletin_in_progress")
        batch_op.drop_index(batch_op.f("ix_bulletin_task_force_id"))
    op.drop_table("bulletin")
