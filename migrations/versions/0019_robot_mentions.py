"""robot mentions: a person's mobile number and their WeCom, DingTalk and Feishu user ids

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COLUMNS = (
    ("mobile", 20),
    ("wecom_userid", 64),
    ("dingtalk_userid", 64),
    ("feishu_user_id", 64),
)


def upgrade():
    with op.batch_alter_table("user") as batch:
        for name, length in COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )


def downgrade():
    with op.batch_alter_table("user") as batch:
        for name, _length in reversed(COLUMNS):
            batch.drop_column(name)
