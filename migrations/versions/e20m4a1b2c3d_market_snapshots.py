"""market insight snapshots; brands say where they are

Revision ID: e20m4a1b2c3d
Revises: eff4f1da80d3
Create Date: 2026-12-07 00:29:07

"""
import sqlalchemy as sa
from alembic import op

revision = 'e20m4a1b2c3d'
down_revision = 'eff4f1da80d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('market_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_market_snapshots'))
    )
    with op.batch_alter_table('market_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_market_snapshots_computed_at'), ['computed_at'], unique=False)

    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('province', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('city', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_brand_profiles_province'), ['province'], unique=False)



def downgrade():
    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brand_profiles_province'))
        batch_op.drop_column('city')
        batch_op.drop_column('province')

    with op.batch_alter_table('market_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_market_snapshots_computed_at'))

    op.drop_table('market_snapshots')
