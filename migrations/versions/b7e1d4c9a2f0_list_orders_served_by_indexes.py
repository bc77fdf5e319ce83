"""list orders served by indexes: the tender hall newest first (with and without a category) and the provider
directory best first, so that a page and a cursor read only the rows they show at any table size (issue 21)

On PostgreSQL each search document's tsvector is stored (a generated column, `search_vector`, outside the
models like the rest of the search index: models/search.py) and the GIN index is on it: a search's newest
matches are then read in date order checking each row's stored vector, instead of computing it again for
every row (services/search_index.py, RANK_WINDOW).
The suspended accounts every public list leaves out are read from a partial index (not a scan of users).
The tender indexes replace the single-column ones on `created_at` and `category` (their prefixes).
The directory's is on the expressions of its order (services/directory.py BEST_FIRST), each never null.

Revision ID: b7e1d4c9a2f0
Revises: 56b32434dd06
Create Date: 2026-12-07 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1d4c9a2f0'
down_revision = '56b32434dd06'
branch_labels = None
depends_on = None

SEARCHABLE = ('tenders', 'provider_profiles', 'contests')
VECTOR = ("(setweight(to_tsvector('simple', {t}.search_title), 'A') || "
          "setweight(to_tsvector('simple', {t}.search_text), 'B'))")
STORED = ("(setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
          "setweight(to_tsvector('simple'::regconfig, search_text), 'B'))")
BEST_FIRST = [sa.text("coalesce(stars, 0)"), sa.text("coalesce(rating_score, -1)"),
              sa.text("(verification_status = 'verified')"), sa.text("(-user_id)")]


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for t in SEARCHABLE:
            op.execute(f"DROP INDEX IF EXISTS ix_{t}_search")
            op.execute(f"ALTER TABLE {t} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({STORED}) STORED")
            op.execute(f"CREATE INDEX ix_{t}_search ON {t} USING gin (search_vector)")
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.create_index('ix_tenders_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_tenders_category_created_at_id', ['category', 'created_at', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_tenders_created_at'))
        batch_op.drop_index(batch_op.f('ix_tenders_category'))
    op.create_index('ix_provider_profiles_best_first', 'provider_profiles', BEST_FIRST, unique=False)
    op.create_index('ix_users_suspended', 'users', ['id'], unique=False,
                    postgresql_where=sa.text('suspended_at IS NOT NULL'), sqlite_where=sa.text('suspended_at IS NOT NULL'))


def downgrade():
    op.drop_index('ix_users_suspended', table_name='users')
    op.drop_index('ix_provider_profiles_best_first', table_name='provider_profiles')
    with op.batch_alter_table('tenders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenders_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_tenders_created_at'), ['created_at'], unique=False)
        batch_op.drop_index('ix_tenders_category_created_at_id')
        batch_op.drop_index('ix_tenders_created_at_id')
    if op.get_bind().dialect.name == 'postgresql':
        for t in SEARCHABLE:
            op.execute(f"DROP INDEX IF EXISTS ix_{t}_search")
            op.execute(f"ALTER TABLE {t} DROP COLUMN search_vector")
            op.execute(f"CREATE INDEX ix_{t}_search ON {t} USING gin ({VECTOR.format(t=t)})")
