"""discussion: comments on items, escalations, pilots and meetings, their files and
mentions, and who follows what

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _file_columns():
    return [
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name="fk_comment_task_force_id_task_force"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name="fk_comment_author_id_user"),
        sa.ForeignKeyConstraint(["quote_id"], ["comment.id"], name="fk_comment_quote_id_comment"),
        sa.PrimaryKeyConstraint("id", name="pk_comment"),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_comment_tf_target", ["task_force_id", "target_kind", "target_id", "id"]
        )
        batch_op.create_index("ix_comment_author_created", ["author_id", "created_at"])

    op.create_table(
        "comment_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        *_file_columns(),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name="fk_comment_file_task_force_id_task_force"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comment.id"], name="fk_comment_file_comment_id_comment"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"], name="fk_comment_file_uploaded_by_id_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_comment_file"),
        sa.UniqueConstraint("stored_name", name="uq_comment_file_stored_name"),
    )
    with op.batch_alter_table("comment_file", schema=None) as batch_op:
        batch_op.create_index("ix_comment_file_comment_id", ["comment_id"])
        batch_op.create_index("ix_comment_file_tf_comment", ["task_force_id", "comment_id"])

    op.create_table(
        "comment_mention",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
            name="fk_comment_mention_comment_id_comment",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_comment_mention_user_id_user"),
        sa.PrimaryKeyConstraint("comment_id", "user_id", name="pk_comment_mention"),
    )

    op.create_table(
        "follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_force_id"], ["task_force.id"], name="fk_follow_task_force_id_task_force"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_follow_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_follow"),
        sa.UniqueConstraint("target_kind", "target_id", "user_id", name="uq_follow_target_user"),
    )
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.create_index("ix_follow_user_id", ["user_id"])
        batch_op.create_index("ix_follow_tf_target", ["task_force_id", "target_kind", "target_id"])


def downgrade():
    with op.batch_alter_table("follow", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_tf_target")
        batch_op.drop_index("ix_follow_user_id")
    op.drop_table("follow")
    op.drop_table("comment_mention")
    with op.batch_alter_table("comment_file", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_file_tf_comment")
        batch_op.drop_index("ix_comment_file_comment_id")
    op.drop_table("comment_file")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_author_created")
        batch_op.drop_index("ix_comment_tf_target")
    op.drop_table("comment")
