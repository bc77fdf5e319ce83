"""Contest prizes take reviews: a review is of a contract or of a contest award (exactly one)

Revision ID: 972ed865afed
Revises: 3a22cccd1565
Create Date: 2026-12-07 07:26:10.219386

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '972ed865afed'
down_revision = '3a22cccd1565'
branch_labels = None
depends_on = None

PUBLISHED = "author_role = 'brand' AND hidden_at IS NULL"
SCORES = ['quality', 'communication', 'timeliness', 'professionalism']


def _published_index(include):
    # Dropped around the batch (SQLite copies the table, and a copied partial index would lose its WHERE);
    # on PostgreSQL it now also carries contest_award_id, which the ratings' reviews aggregate reads.
    op.create_index('ix_reviews_published_by_subject', 'reviews', ['subject_id', 'visible_from'], unique=False,
                    sqlite_where=sa.text(PUBLISHED), postgresql_where=sa.text(PUBLISHED),
                    postgresql_include=include)


def upgrade():
    op.drop_index('ix_reviews_published_by_subject', table_name='reviews')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contest_award_id', sa.Integer(), nullable=True))
        batch_op.alter_column('contract_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_reviews_contest_award_id'), ['contest_award_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_reviews_contest_award_id_author_id'), ['contest_award_id', 'author_id'])
        batch_op.create_foreign_key(batch_op.f('fk_reviews_contest_award_id_contest_awards'), 'contest_awards', ['contest_award_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_reviews_one_occasion'),
                                         '(contract_id IS NULL) <> (contest_award_id IS NULL)')
    _published_index(['contract_id', 'contest_award_id', 'created_at', *SCORES])


def downgrade():
    op.execute("DELETE FROM review_reports WHERE review_id IN (SELECT id FROM reviews WHERE contract_id IS NULL)")
    op.execute("DELETE FROM reviews WHERE contract_id IS NULL")
    op.drop_index('ix_reviews_published_by_subject', table_name='reviews')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reviews_one_occasion'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reviews_contest_award_id_contest_awards'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_reviews_contest_award_id_author_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_reviews_contest_award_id'))
        batch_op.alter_column('contract_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('contest_award_id')
    _published_index(['contract_id', 'created_at', *SCORES])
