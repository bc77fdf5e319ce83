"""the profile holds its rating's counts (the change check), rating_runs.profiles_updated dropped

Revision ID: f978fe79c54d
Revises: 1578510949df
Create Date: 2026-11-22 05:16:50.659824

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f978fe79c54d'
down_revision = '1578510949df'
branch_labels = None
depends_on = None

# Each profile takes the counts of its newest rating (the current one), so the first recompute after
# the upgrade writes only the ratings that really changed.
BACKFILL = """
UPDATE provider_profiles SET rating_counts = (
    SELECT input_counts FROM provider_ratings WHERE provider_ratings.provider_id = provider_profiles.user_id
    ORDER BY provider_ratings.id DESC LIMIT 1)
"""


def upgrade():
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_counts', sa.Text(), nullable=True))
    op.execute(BACKFILL)

    with op.batch_alter_table('rating_runs', schema=None) as batch_op:
        batch_op.drop_column('profiles_updated')


def downgrade():
    with op.batch_alter_table('rating_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profiles_updated', sa.INTEGER(), nullable=False, server_default='0'))

    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.drop_column('rating_counts')
