"""tender list indexes cover the count: the hall's two newest-first indexes carry brand_id and invited_only (PostgreSQL
INCLUDE), so that a list's capped count is an index-only scan of COUNT_CAP entries instead of a scan of the table's
heap (at 1,000,000 tenders the count read 80 heap pages for the whole hall, 480 for one category, through the
sequential-scan ring: from outside the shared buffers on every request; issue 21, flat in data size)

SQLite has no INCLUDE: nothing changes there.

Revision ID: c3f8a1d5e7b2
Revises: d2a6c8e0f4b1
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3f8a1d5e7b2'
down_revision = 'd2a6c8e0f4b1'
branch_labels = None
depends_on = None

INDEXES = {'ix_tenders_created_at_id': ['created_at', 'id'],
           'ix_tenders_category_created_at_id': ['category', 'created_at', 'id']}
LISTED_WITH = ['brand_id', 'invited_only']


def _rebuild(include):
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name='tenders')
        op.create_index(name, 'tenders', columns, unique=False, postgresql_include=include)


def upgrade():
    _rebuild(LISTED_WITH)


def downgrade():
    _rebuild([])
