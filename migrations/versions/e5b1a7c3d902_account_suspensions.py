"""account suspensions: reason, appeal, payout hold; users.suspended_at

Revision ID: e5b1a7c3d902
Revises: e2b8f4a6c1d3
Create Date: 2026-12-06 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b1a7c3d902'
down_revision = 'e2b8f4a6c1d3'
branch_labels = None
depends_on = None

STANDING = sa.text("lifted_at IS NULL")


def upgrade():
    op.create_table('suspensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('suspended_by_id', sa.Integer(), nullable=False),
    sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('appeal_text', sa.Text(), nullable=True),
    sa.Column('appealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appeal_decided_by_id', sa.Integer(), nullable=True),
    sa.Column('appeal_decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appeal_decision', sa.String(length=8), nullable=True),
    sa.Column('appeal_decision_reason', sa.Text(), nullable=True),
    sa.Column('payouts_held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payouts_held_by_id', sa.Integer(), nullable=True),
    sa.Column('payout_hold_reason', sa.Text(), nullable=True),
    sa.Column('payouts_released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payouts_released_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appeal_decided_by_id'], ['users.id'], name=op.f('fk_suspensions_appeal_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_suspensions_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['payouts_held_by_id'], ['users.id'], name=op.f('fk_suspensions_payouts_held_by_id_users')),
    sa.ForeignKeyConstraint(['payouts_released_by_id'], ['users.id'], name=op.f('fk_suspensions_payouts_released_by_id_users')),
    sa.ForeignKeyConstraint(['suspended_by_id'], ['users.id'], name=op.f('fk_suspensions_suspended_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_suspensions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspensions'))
    )
    with op.batch_alter_table('suspensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspensions_appealed_at'), ['appealed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_suspensions_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_suspensions_standing_user', ['user_id'], unique=True,
                              sqlite_where=STANDING, postgresql_where=STANDING)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('suspended_at')

    with op.batch_alter_table('suspensions', schema=None) as batch_op:
        batch_op.drop_index('uq_suspensions_standing_user', sqlite_where=STANDING, postgresql_where=STANDING)
        batch_op.drop_index(batch_op.f('ix_suspensions_user_id'))
        batch_op.drop_index(batch_op.f('ix_suspensions_appealed_at'))

    op.drop_table('suspensions')
