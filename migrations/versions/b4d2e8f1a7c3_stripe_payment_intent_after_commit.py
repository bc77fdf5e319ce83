"""stripe_payments: the PaymentIntent is asked for only once the attempt is committed, so its id and
client secret are empty until then

Revision ID: b4d2e8f1a7c3
Revises: 3fe5a1c0b7d2
Create Date: 2026-12-06 14:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b4d2e8f1a7c3'
down_revision = '3fe5a1c0b7d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stripe_payments', schema=None) as batch_op:
        batch_op.alter_column('payment_intent_id', existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column('client_secret', existing_type=sa.String(length=200), nullable=True)


def downgrade():
    # An attempt whose PaymentIntent was never made has nothing at Stripe: it can go.
    op.execute("DELETE FROM stripe_payments WHERE payment_intent_id IS NULL OR client_secret IS NULL")
    with op.batch_alter_table('stripe_payments', schema=None) as batch_op:
        batch_op.alter_column('client_secret', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('payment_intent_id', existing_type=sa.String(length=100), nullable=False)
