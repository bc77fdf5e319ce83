"""reviews.visible_from: when a double-blind review becomes public

Revision ID: e6a1c0de0006
Revises: f443191190fb
Create Date: 2026-11-23 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e6a1c0de0006'
down_revision = 'f443191190fb'
branch_labels = None
depends_on = None

PUBLISHED = "author_role = 'brand' AND hidden_at IS NULL"

# A review is public from the moment both parties have reviewed (the later review's time), or else
# from the close of the review window, 14 days after the contract ended (unknown while it runs).
BACKFILL = {
    'postgresql': """
        UPDATE reviews SET visible_from = v.visible_from FROM (
            SELECT r.contract_id,
                   LEAST(CASE WHEN count(DISTINCT r.author_id) >= 2 THEN max(r.created_at) END,
                         max(c.completed_at) + interval '14 days') AS visible_from
            FROM reviews r JOIN contracts c ON c.id = r.contract_id
            GROUP BY r.contract_id) v
        WHERE reviews.contract_id = v.contract_id
    """,
    # SQLite: the text SQLAlchemy writes (microseconds; strftime gives milliseconds, padded here)
    'sqlite': """
        UPDATE reviews SET visible_from = (
            SELECT CASE WHEN pair IS NULL THEN closes WHEN closes IS NULL OR pair < closes THEN pair ELSE closes END
            FROM (SELECT (SELECT CASE WHEN count(DISTINCT r.author_id) >= 2 THEN max(r.created_at) END
                          FROM reviews r WHERE r.contract_id = reviews.contract_id) AS pair,
                         (SELECT strftime('%Y-%m-%d %H:%M:%f', c.completed_at, '+14 days') || '000'
                          FROM contracts c WHERE c.id = reviews.contract_id) AS closes))
    """,
}


def upgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visible_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reviews_published_by_subject', ['subject_id', 'visible_from'], unique=False,
                              sqlite_where=sa.text(PUBLISHED), postgresql_where=sa.text(PUBLISHED),
                              postgresql_include=['contract_id', 'created_at', 'quality', 'communication',
                                                  'timeliness', 'professionalism'])
    op.execute(BACKFILL[op.get_bind().dialect.name])


def downgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_published_by_subject')
        batch_op.drop_column('visible_from')
