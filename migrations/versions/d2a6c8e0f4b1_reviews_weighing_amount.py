"""reviews.weighing_amount: the amount a review weighs by in the provider's rating (its contract's, or its
contest prize's), on the review's row, so the nightly rating aggregate over every review joins nothing (issue 21)

Backfilled from the contracts and contest awards; the published-reviews index carries it on PostgreSQL (the
aggregate's reviews side can stay index-only). The index is dropped around the batch (SQLite copies the
table, and a copied partial index would lose its WHERE).

Revision ID: d2a6c8e0f4b1
Revises: b7e1d4c9a2f0
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a6c8e0f4b1'
down_revision = 'b7e1d4c9a2f0'
branch_labels = None
depends_on = None

PUBLISHED = "author_role = 'brand' AND hidden_at IS NULL"
SCORES = ['quality', 'communication', 'timeliness', 'professionalism']
BACKFILL = ("UPDATE reviews SET weighing_amount = coalesce("
            "(SELECT amount FROM contracts WHERE contracts.id = reviews.contract_id), "
            "(SELECT amount FROM contest_awards WHERE contest_awards.id = reviews.contest_award_id), 0)")


def _published_index(include):
    op.create_index('ix_reviews_published_by_subject', 'reviews', ['subject_id', 'visible_from'], unique=False,
                    sqlite_where=sa.text(PUBLISHED), postgresql_where=sa.text(PUBLISHED),
                    postgresql_include=include)


def upgrade():
    op.drop_index('ix_reviews_published_by_subject', table_name='reviews')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weighing_amount', sa.BigInteger(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.alter_column('weighing_amount', existing_type=sa.BigInteger(), nullable=False)
    _published_index(['contract_id', 'contest_award_id', 'weighing_amount', 'created_at', *SCORES])


def downgrade():
    op.drop_index('ix_reviews_published_by_subject', table_name='reviews')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_column('weighing_amount')
    _published_index(['contract_id', 'contest_award_id', 'created_at', *SCORES])
