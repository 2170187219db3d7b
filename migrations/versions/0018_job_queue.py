"""job queue: review packs and the list PDF asked for by a page, done by the worker

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=200), nullable=False),
        sa.Column("output_name", sa.String(length=200), nullable=False),
        sa.Column("output_type", sa.String(length=100), nullable=False),
        sa.Column("output_size", sa.Integer(), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name="fk_job_task_force_id_task_force"
        ),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user.id"], name="fk_job_requested_by_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index("ix_job_task_force_id", ["task_force_id"], unique=False)
        batch_op.create_index(
            "ix_job_status_claimed_until", ["status", "claimed_until"], unique=False
        )


def downgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_status_claimed_until")
        batch_op.drop_index("ix_job_task_force_id")
    op.drop_table("job")
