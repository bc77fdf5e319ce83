"""withdrawals: brands take unspent wallet money back to their bank account through the payout
batch (payouts get a kind: a provider's earnings or a brand's withdrawals)

Revision ID: a18w1d7c3e05
Revises: 103cdd8d1edd
Create Date: 2026-12-06 20:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a18w1d7c3e05'
down_revision = '103cdd8d1edd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=12), server_default='earnings', nullable=False))
    op.create_table('withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'approved', 'refused', 'paid', 'failed')",
                       name=op.f('ck_withdrawals_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_withdrawals_amount_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['users.id'], name=op.f('fk_withdrawals_brand_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_withdrawals_requested_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_withdrawals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_withdrawals_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawals'))
    )
    with op.batch_alter_table('withdrawals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withdrawals_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawals_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawals_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('withdrawals')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_column('kind')
