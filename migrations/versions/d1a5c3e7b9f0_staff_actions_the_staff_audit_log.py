"""staff_actions: the staff audit log

Revision ID: d1a5c3e7b9f0
Revises: c7a1d3e5f9b2
Create Date: 2026-12-06 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd1a5c3e7b9f0'
down_revision = 'c7a1d3e5f9b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('affected_user_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_staff_actions_actor_id_users')),
    sa.ForeignKeyConstraint(['affected_user_id'], ['users.id'], name=op.f('fk_staff_actions_affected_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_actions'))
    )
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_actions_action'), ['action'], unique=False)
        batch_op.create_index('ix_staff_actions_actor_created', ['actor_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_actions_affected_user_id'), ['affected_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_actions_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_staff_actions_subject', ['subject_type', 'subject_id'], unique=False)



def downgrade():
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_actions_subject')
        batch_op.drop_index(batch_op.f('ix_staff_actions_created_at'))
        batch_op.drop_index(batch_op.f('ix_staff_actions_affected_user_id'))
        batch_op.drop_index('ix_staff_actions_actor_created')
        batch_op.drop_index(batch_op.f('ix_staff_actions_action'))

    op.drop_table('staff_actions')
