"""brand score on brand_profiles; licence image and legal representative for verification, which brands
now have too (a verified number unique among brands)

Revision ID: c4b18a5e2f70
Revises: e20m4a1b2c3d
Create Date: 2026-12-07 00:30:00

"""
import sqlalchemy as sa
from alembic import op

from models.types import UTCDateTime

revision = 'c4b18a5e2f70'
down_revision = 'e20m4a1b2c3d'
branch_labels = None
depends_on = None

WHERE = sa.text("verified_registration_number IS NOT NULL")


def upgrade():
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('licence_image', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('legal_representative', sa.String(length=100), nullable=True))
    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_score', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('brand_score_inputs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('brand_scored_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('verification_status', sa.String(length=16), nullable=False,
                                      server_default='unsubmitted'))
        batch_op.add_column(sa.Column('licence_image', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('legal_representative', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('verified_registration_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('verification_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('verification_decided_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('verification_requested_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('verification_decided_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_brand_profiles_verification_decided_by_id_users'), 'users',
                                    ['verification_decided_by_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_brand_profiles_brand_score'), ['brand_score'], unique=False)
        batch_op.create_index(batch_op.f('ix_brand_profiles_verification_status'), ['verification_status'],
                              unique=False)
        batch_op.create_index('uq_brand_profiles_verified_number', ['verified_registration_number'], unique=True,
                              sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade():
    with op.batch_alter_table('brand_profiles', schema=None) as batch_op:
        batch_op.drop_index('uq_brand_profiles_verified_number', sqlite_where=WHERE, postgresql_where=WHERE)
        batch_op.drop_index(batch_op.f('ix_brand_profiles_verification_status'))
        batch_op.drop_index(batch_op.f('ix_brand_profiles_brand_score'))
        batch_op.drop_constraint(batch_op.f('fk_brand_profiles_verification_decided_by_id_users'), type_='foreignkey')
        for name in ('verification_decided_by_id', 'verification_requested_at', 'verification_decided_at',
                     'verification_reason', 'verified_registration_number', 'legal_representative',
                     'licence_image', 'verification_status', 'brand_scored_at', 'brand_score_inputs', 'brand_score'):
            batch_op.drop_column(name)
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.drop_column('legal_representative')
        batch_op.drop_column('licence_image')
