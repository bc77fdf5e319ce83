"""stripe_refunds.failure: why Stripe refused a refund

Revision ID: ce80bbf6e772
Revises: f978fe79c54d
Create Date: 2026-11-22 05:47:29.412292

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ce80bbf6e772'
down_revision = 'f978fe79c54d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stripe_refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('stripe_refunds', schema=None) as batch_op:
        batch_op.drop_column('failure')

