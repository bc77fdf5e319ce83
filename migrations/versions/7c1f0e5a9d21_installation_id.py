"""installation: the id prefixed to every Stripe idempotency key and stamped on Stripe objects

Revision ID: 7c1f0e5a9d21
Revises: 33b8548c7c0e
Create Date: 2026-12-06 13:50:00

"""
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '7c1f0e5a9d21'
down_revision = '33b8548c7c0e'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_installation')),
    )
    # Each database gets its own id when it is created or upgraded, never a shared one.
    op.bulk_insert(table, [{"id": 1, "key": secrets.token_hex(8), "created_at": datetime.now(UTC)}])


def downgrade():
    op.drop_table('installation')
