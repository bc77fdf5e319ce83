"""user_logins: last use (recorded at most every few minutes), the browser's user agent and address

Revision ID: c7a1d3e5f9b2
Revises: c3f7a1d9e2b4
Create Date: 2026-12-06 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c7a1d3e5f9b2'
down_revision = 'c3f7a1d9e2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_logins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('ip_address', sa.String(length=45), nullable=True))


def downgrade():
    with op.batch_alter_table('user_logins', schema=None) as batch_op:
        batch_op.drop_column('ip_address')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('last_used_at')
