"""rating history as a change log: provider_ratings.input_counts, rating_runs, indexes

Revision ID: 1578510949df
Revises: b834526453cf
Create Date: 2026-11-23 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '1578510949df'
down_revision = 'b834526453cf'
branch_labels = None
depends_on = None

# The whole-number rating inputs, in services.ratings.RatingInputs order (as ratings_data.counts_key).
COUNTS = ('review_count', 'settled_milestones', 'on_time_milestones', 'change_requests', 'disputes_lost',
          'completed_contracts', 'cancelled_contracts', 'brands_12m', 'repeat_brands_12m', 'tier_total_12m',
          'volume_recent', 'volume_previous', 'new_brands_recent', 'new_brands_previous')
BACKFILL = {
    'postgresql': "UPDATE provider_ratings SET input_counts = concat_ws(' ', {})".format(
        ', '.join(f"inputs ->> '{name}'" for name in COUNTS)),
    'sqlite': "UPDATE provider_ratings SET input_counts = {}".format(
        " || ' ' || ".join(f"CAST(json_extract(inputs, '$.{name}') AS TEXT)" for name in COUNTS)),
}


def upgrade():
    op.create_table('rating_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('providers', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('profiles_updated', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_runs'))
    )
    with op.batch_alter_table('provider_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('input_counts', sa.Text(), nullable=True))
        batch_op.drop_index('ix_provider_ratings_provider_time')
        batch_op.create_index('ix_provider_ratings_provider_newest', ['provider_id', 'id'], unique=False)
    op.execute(BACKFILL[op.get_bind().dialect.name])
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_profiles_rating_score'))


def downgrade():
    with op.batch_alter_table('provider_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_profiles_rating_score'), ['rating_score'], unique=False)
    with op.batch_alter_table('provider_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_provider_ratings_provider_newest')
        batch_op.create_index('ix_provider_ratings_provider_time', ['provider_id', 'computed_at'], unique=False)
        batch_op.drop_column('input_counts')
    op.drop_table('rating_runs')
