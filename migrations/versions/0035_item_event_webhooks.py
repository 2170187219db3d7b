"""item events over generic webhooks: subscriptions, the events' bodies, their deliveries;
channel secrets sealed (a longer column)

Revision ID: 0035
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notify_event_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notify_channel.id"],
            name=op.f("fk_notify_event_subscription_channel_id_notify_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_notify_event_subscription_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_event_subscription")),
        sa.UniqueConstraint(
            "channel_id", "task_force_id", "event", name="uq_notify_event_subscription"
        ),
    )
    with op.batch_alter_table("notify_event_subscription") as batch:
        batch.create_index(
            batch.f("ix_notify_event_subscription_channel_id"), ["channel_id"], unique=False
        )
        batch.create_index(
            "ix_notify_event_subscription_tf_event", ["task_force_id", "event"], unique=False
        )
    op.create_table(
        "notify_item_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("task_force_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_force_id"],
            ["task_force.id"],
            name=op.f("fk_notify_item_event_task_force_id_task_force"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_item_event")),
        sa.UniqueConstraint("uuid", name=op.f("uq_notify_item_event_uuid")),
    )
    with op.batch_alter_table("notify_item_event") as batch:
        batch.create_index(
            batch.f("ix_notify_item_event_task_force_id"), ["task_force_id"], unique=False
        )
    with op.batch_alter_table("notify_delivery") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.alter_column("notification_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("recipient_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(
            batch.f("fk_notify_delivery_event_id_notify_item_event"),
            "notify_item_event",
            ["event_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            "uq_notify_delivery_event_channel", ["event_id", "channel_id"]
        )
        batch.create_check_constraint(
            "one_subject", "(notification_id IS NULL) <> (event_id IS NULL)"
        )
    with op.batch_alter_table("notify_channel") as batch:
        batch.alter_column(
            "secret",
            existing_type=sa.String(length=200),
            type_=sa.String(length=500),
            existing_nullable=False,
        )


def downgrade():
    with op.batch_alter_table("notify_channel") as batch:
        batch.alter_column(
            "secret",
            existing_type=sa.String(length=500),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
    op.execute("DELETE FROM notify_delivery WHERE event_id IS NOT NULL")
    with op.batch_alter_table("notify_delivery") as batch:
        batch.drop_constraint(op.f("ck_notify_delivery_one_subject"), type_="check")
        batch.drop_constraint("uq_notify_delivery_event_channel", type_="unique")
        batch.drop_constraint(
            batch.f("fk_notify_delivery_event_id_notify_item_event"), type_="foreignkey"
        )
        batch.alter_column("recipient_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("notification_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("event_id")
    with op.batch_alter_table("notify_item_event") as batch:
        batch.drop_index(batch.f("ix_notify_item_event_task_force_id"))
    op.drop_table("notify_item_event")
    with op.batch_alter_table("notify_event_subscription") as batch:
        batch.drop_index("ix_notify_event_subscription_tf_event")
        batch.drop_index(batch.f("ix_notify_event_subscription_channel_id"))
    op.drop_table("notify_event_subscription")
