"""escalations and decisions, nudges, incentives, intake submissions; issue.supervised

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:46:28.968335

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('recommendation', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_escalation_issue_id_issue')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user.id'], name=op.f('fk_escalation_raised_by_id_user')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_force.id'], name=op.f('fk_escalation_task_force_id_task_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation'))
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_raised_by_id'), ['raised_by_id'], unique=False)
        batch_op.create_index('ix_escalation_tf_status_raised', ['task_force_id', 'status', 'raised_at'], unique=False)

    op.create_table('incentive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('polarity', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_incentive_issue_id_issue')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_incentive_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_incentive_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_force.id'], name=op.f('fk_incentive_task_force_id_task_force')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_incentive_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incentive'))
    )
    with op.batch_alter_table('incentive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incentive_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incentive_task_force_id'), ['task_force_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incentive_user_id'), ['user_id'], unique=False)

    op.create_table('intake_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submitter_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('triaged_at', sa.DateTime(), nullable=True),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_intake_submission_category_id_category')),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_intake_submission_issue_id_issue')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_intake_submission_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['submitter_id'], ['user.id'], name=op.f('fk_intake_submission_submitter_id_user')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_force.id'], name=op.f('fk_intake_submission_task_force_id_task_force')),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['user.id'], name=op.f('fk_intake_submission_triaged_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_submission'))
    )
    with op.batch_alter_table('intake_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_submission_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_submission_submitter_id'), ['submitter_id'], unique=False)
        batch_op.create_index('ix_intake_submission_tf_state', ['task_force_id', 'state'], unique=False)

    op.create_table('nudge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_nudge_issue_id_issue')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_nudge_recipient_id_user')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user.id'], name=op.f('fk_nudge_sent_by_id_user')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_force.id'], name=op.f('fk_nudge_task_force_id_task_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge'))
    )
    with op.batch_alter_table('nudge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nudge_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nudge_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index('ix_nudge_tf_issue', ['task_force_id', 'issue_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('chosen_option', sa.Text(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('unblocked', sa.Boolean(), nullable=False),
    sa.Column('new_deadline', sa.Date(), nullable=True),
    sa.Column('new_owner_id', sa.Integer(), nullable=True),
    sa.Column('task_force_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_decision_decided_by_id_user')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_decision_escalation_id_escalation')),
    sa.ForeignKeyConstraint(['new_owner_id'], ['user.id'], name=op.f('fk_decision_new_owner_id_user')),
    sa.ForeignKeyConstraint(['task_force_id'], ['task_force.id'], name=op.f('fk_decision_task_force_id_task_force')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('escalation_id', name=op.f('uq_decision_escalation_id'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index('ix_decision_tf_decided', ['task_force_id', 'decided_at'], unique=False)

    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supervised', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('issue', schema=None) as batch_op:
        batch_op.drop_column('supervised')

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_tf_decided')
        batch_op.drop_index(batch_op.f('ix_decision_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_decision_decided_by_id'))

    op.drop_table('decision')
    with op.batch_alter_table('nudge', schema=None) as batch_op:
        batch_op.drop_index('ix_nudge_tf_issue')
        batch_op.drop_index(batch_op.f('ix_nudge_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_nudge_issue_id'))

    op.drop_table('nudge')
    with op.batch_alter_table('intake_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_submission_tf_state')
        batch_op.drop_index(batch_op.f('ix_intake_submission_submitter_id'))
        batch_op.drop_index(batch_op.f('ix_intake_submission_issue_id'))

    op.drop_table('intake_submission')
    with op.batch_alter_table('incentive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incentive_user_id'))
        batch_op.drop_index(batch_op.f('ix_incentive_task_force_id'))
        batch_op.drop_index(batch_op.f('ix_incentive_org_unit_id'))

    op.drop_table('incentive')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_tf_status_raised')
        batch_op.drop_index(batch_op.f('ix_escalation_raised_by_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_issue_id'))

    op.drop_table('escalation')
