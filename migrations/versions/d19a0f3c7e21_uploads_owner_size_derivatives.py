"""uploads: each stored file's owner and size (the per-user quota) and its derived thumbnail and watermarked preview; users.avatar_name (avatar or logo); showcase_cases.image_name and client_brand (the portfolio)

Revision ID: d19a0f3c7e21
Revises: 23ed2e8ea367
Create Date: 2026-12-06 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd19a0f3c7e21'
down_revision = '23ed2e8ea367'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('thumb_name', sa.String(length=120), nullable=True),
    sa.Column('preview_name', sa.String(length=120), nullable=True),
    sa.Column('derived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_uploads_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_uploads_stored_name'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_owner_id'), ['owner_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_name', sa.String(length=80), nullable=True))
    with op.batch_alter_table('showcase_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('client_brand', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('showcase_cases', schema=None) as batch_op:
        batch_op.drop_column('client_brand')
        batch_op.drop_column('image_name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('avatar_name')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_id'))
    op.drop_table('uploads')
