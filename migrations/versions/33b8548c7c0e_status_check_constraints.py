"""status check constraints: every status column holds one of its model's statuses

Revision ID: 33b8548c7c0e
Revises: 1838546a4051
Create Date: 2026-12-07 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '33b8548c7c0e'
down_revision = '1838546a4051'
branch_labels = None
depends_on = None

# The statuses as of this revision (models/*.py define them as StrEnums; a later change to an enum
# comes with its own migration, so these are written out here, not imported).
STATUSES = {
    'tenders': ('open', 'evaluating', 'awarded', 'cancelled'),
    'bids': ('submitted', 'rejected', 'withdrawn', 'awarded'),
    'contracts': ('active', 'completed', 'cancelled'),
    'milestones': ('pending', 'funded', 'delivered', 'changes_requested', 'released', 'disputed', 'resolved',
                   'cancelled'),
    'disputes': ('open', 'resolved', 'withdrawn'),
    'payout_batches': ('collecting', 'paying', 'closed'),
    'payouts': ('pending', 'paid', 'failed'),
    'stripe_payments': ('requires_payment_method', 'requires_confirmation', 'requires_action', 'processing',
                        'requires_capture', 'succeeded', 'canceled', 'failed', 'refunded_duplicate'),
    'stripe_refunds': ('pending', 'succeeded', 'failed'),
}


def _condition(values) -> str:
    return "status IN ({})".format(", ".join(f"'{value}'" for value in values))


def upgrade():
    # Say which rows stand in the way, rather than failing on the first table with a bare error.
    conn = op.get_bind()
    unknown = {}
    for table, values in STATUSES.items():
        found = conn.execute(sa.text(f"SELECT DISTINCT status FROM {table} WHERE NOT ({_condition(values)})"))
        if bad := [row[0] for row in found]:
            unknown[table] = bad
    if unknown:
        raise RuntimeError(f"rows with a status their model does not know; fix them first: {unknown}")
    for table, values in STATUSES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(batch_op.f(f'ck_{table}_status'), _condition(values))


def downgrade():
    for table in reversed(STATUSES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_status'), type_='check')
