"""card top-ups: a brand tops up its wallet by card, credited by Stripe's signed webhook

Revision ID: c18c3b1e5a27
Revises: b18m2a9d4f16
Create Date: 2026-12-06 21:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c18c3b1e5a27'
down_revision = 'b18m2a9d4f16'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('card_top_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=100), nullable=True),
    sa.Column('client_secret', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'succeeded', 'failed', 'canceled')", name=op.f('ck_card_top_ups_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_card_top_ups_amount_positive')),
    sa.ForeignKeyConstraint(['brand_id'], ['users.id'], name=op.f('fk_card_top_ups_brand_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_card_top_ups_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_top_ups')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_card_top_ups_payment_intent_id'))
    )
    with op.batch_alter_table('card_top_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_top_ups_brand_id'), ['brand_id'], unique=False)


def downgrade():
    op.drop_table('card_top_ups')
