"""reconciliation runs record who asked (schedule, CLI, API, finance page; the staff member) and their window

Revision ID: 3fe5a1c0b7d2
Revises: b4c2d9e1f7a3
Create Date: 2026-12-06 14:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '3fe5a1c0b7d2'
down_revision = 'b4c2d9e1f7a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger', sa.String(length=16), server_default='schedule', nullable=False))
        batch_op.add_column(sa.Column('started_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('settle_seconds', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reconciliation_runs_started_by_id_users'), 'users',
                                    ['started_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reconciliation_runs_started_by_id_users'), type_='foreignkey')
        batch_op.drop_column('settle_seconds')
        batch_op.drop_column('since')
        batch_op.drop_column('started_by_id')
        batch_op.drop_column('trigger')
