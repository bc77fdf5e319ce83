"""webhook_deliveries.status: a CHECK constraint keeps it to pending, delivered, failed

Revision ID: d4e6f8a0b2c4
Revises: c0a7e5d1b915
Create Date: 2026-12-06 21:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4e6f8a0b2c4'
down_revision = 'c0a7e5d1b915'
branch_labels = None
depends_on = None

# As of this revision (models/webhook.py's DeliveryStatus; written out, not imported).
CONDITION = "status IN ('pending', 'delivered', 'failed')"


def upgrade():
    bad = [row[0] for row in op.get_bind().execute(
        sa.text(f"SELECT DISTINCT status FROM webhook_deliveries WHERE NOT ({CONDITION})"))]  # noqa: S608
    if bad:
        raise RuntimeError(f"webhook deliveries with a status the model does not know; fix them first: {bad}")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_webhook_deliveries_status'), CONDITION)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_webhook_deliveries_status'), type_='check')
