"""reminders and notifications: channels, subscriptions, rule opt-outs, quiet hours, deliveries, job runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 19:49:09.167322

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notify_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_channel')),
    sa.UniqueConstraint('name', name=op.f('uq_notify_channel_name'))
    )
    op.create_table('notify_job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('host', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_job_run'))
    )
    with op.batch_alter_table('notify_job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_job_run_job'), ['job'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_job_run_started_at'), ['started_at'], unique=False)

    op.create_table('notify_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notify_opt_out_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_opt_out')),
    sa.UniqueConstraint('user_id', 'rule', name='uq_notify_opt_out_user_rule')
    )
    op.create_table('notify_quiet_hours',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notify_quiet_hours_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notify_quiet_hours'))
    )
    op.create_table('notify_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['notify_channel.id'], name=op.f('fk_notify_subscription_channel_id_notify_channel')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notify_subscription_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_subscription')),
    sa.UniqueConstraint('user_id', 'channel_id', name='uq_notify_subscription_user_channel')
    )
    with op.batch_alter_table('notify_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_subscription_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_subscription_user_id'), ['user_id'], unique=False)

    op.create_table('notify_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=40), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['notify_channel.id'], name=op.f('fk_notify_delivery_channel_id_notify_channel')),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_notify_delivery_notification_id_notification')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_notify_delivery_recipient_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_delivery')),
    sa.UniqueConstraint('notification_id', 'channel_id', name='uq_notify_delivery_notification_channel')
    )
    with op.batch_alter_table('notify_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_delivery_claimed_by'), ['claimed_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_delivery_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_notify_delivery_status_due', ['status', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notify_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_delivery_status_due')
        batch_op.drop_index(batch_op.f('ix_notify_delivery_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_notify_delivery_claimed_by'))

    op.drop_table('notify_delivery')
    with op.batch_alter_table('notify_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_subscription_user_id'))
        batch_op.drop_index(batch_op.f('ix_notify_subscription_channel_id'))

    op.drop_table('notify_subscription')
    op.drop_table('notify_quiet_hours')
    op.drop_table('notify_opt_out')
    with op.batch_alter_table('notify_job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notify_job_run_started_at'))
        batch_op.drop_index(batch_op.f('ix_notify_job_run_job'))

    op.drop_table('notify_job_run')
    op.drop_table('notify_channel')
