"""staff_actions: the command line may act (no actor), and an action may touch a second account

Revision ID: e2b8f4a6c1d3
Revises: d1a5c3e7b9f0
Create Date: 2026-12-06 17:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e2b8f4a6c1d3'
down_revision = 'd1a5c3e7b9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('other_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_actions_other_user_id_users'), 'users',
                                    ['other_user_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_staff_actions_other_user_id'), ['other_user_id'], unique=False)


def downgrade():
    # the log is append-only: refuse, rather than delete the command line's entries to require an actor again
    if op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM staff_actions WHERE actor_id IS NULL")):
        raise RuntimeError("staff_actions holds command-line entries (no actor); they cannot be downgraded")
    with op.batch_alter_table('staff_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_actions_other_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_staff_actions_other_user_id_users'), type_='foreignkey')
        batch_op.drop_column('other_user_id')
        batch_op.alter_column('actor_id', existing_type=sa.Integer(), nullable=False)
