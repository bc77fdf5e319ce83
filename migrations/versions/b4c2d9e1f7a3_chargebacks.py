"""chargebacks: card disputes from Stripe, their history, and the milestone status charged_back

Revision ID: b4c2d9e1f7a3
Revises: 7c1f0e5a9d21
Create Date: 2026-12-06 14:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b4c2d9e1f7a3'
down_revision = '7c1f0e5a9d21'
branch_labels = None
depends_on = None

MILESTONE_BEFORE = ('pending', 'funded', 'delivered', 'changes_requested', 'released', 'disputed', 'resolved',
                    'cancelled')
MILESTONE_AFTER = (*MILESTONE_BEFORE, 'charged_back')
CHARGEBACK_STATUSES = ('warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response',
                       'under_review', 'won', 'lost', 'prevented')
LOSS_BEARERS = ('escrow', 'platform', 'provider', 'unknown')


def _in(column, values) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def upgrade():
    op.create_table(
        'chargebacks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stripe_dispute_id', sa.String(length=100), nullable=False),
        sa.Column('charge_id', sa.String(length=100), nullable=False),
        sa.Column('payment_intent_id', sa.String(length=100), nullable=True),
        sa.Column('milestone_id', sa.Integer(), nullable=True),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('fee', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('evidence_due_by', sa.DateTime(timezone=True), nullable=True),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('evidence_submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('milestone_status_before', sa.String(length=24), nullable=True),
        sa.Column('loss_bearer', sa.String(length=16), nullable=False),
        sa.Column('recovery_cap', sa.BigInteger(), nullable=True),
        sa.Column('recovery_reason', sa.Text(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stripe_updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in('status', CHARGEBACK_STATUSES), name=op.f('ck_chargebacks_status')),
        sa.CheckConstraint(_in('loss_bearer', LOSS_BEARERS), name=op.f('ck_chargebacks_loss_bearer')),
        sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_chargebacks_contract_id_contracts')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_chargebacks_decided_by_id_users')),
        sa.ForeignKeyConstraint(['milestone_id'], ['milestones.id'],
                                name=op.f('fk_chargebacks_milestone_id_milestones')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chargebacks')),
        sa.UniqueConstraint('stripe_dispute_id', name=op.f('uq_chargebacks_stripe_dispute_id')),
    )
    with op.batch_alter_table('chargebacks', schema=None) as batch_op:
        for column in ('charge_id', 'payment_intent_id', 'milestone_id', 'contract_id', 'status', 'opened_at'):
            batch_op.create_index(batch_op.f(f'ix_chargebacks_{column}'), [column], unique=False)
    op.create_table(
        'chargeback_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('chargeback_id', sa.Integer(), nullable=False),
        sa.Column('stripe_event_id', sa.String(length=100), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_chargeback_events_actor_id_users')),
        sa.ForeignKeyConstraint(['chargeback_id'], ['chargebacks.id'],
                                name=op.f('fk_chargeback_events_chargeback_id_chargebacks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chargeback_events')),
        sa.UniqueConstraint('stripe_event_id', name=op.f('uq_chargeback_events_stripe_event_id')),
    )
    with op.batch_alter_table('chargeback_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chargeback_events_chargeback_id'), ['chargeback_id'], unique=False)
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_milestones_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_milestones_status'), _in('status', MILESTONE_AFTER))


def downgrade():
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM milestones WHERE status = 'charged_back'")).scalar():
        raise RuntimeError("milestones are charged back; settle their chargebacks before downgrading")
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_milestones_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_milestones_status'), _in('status', MILESTONE_BEFORE))
    op.drop_table('chargeback_events')
    op.drop_table('chargebacks')
