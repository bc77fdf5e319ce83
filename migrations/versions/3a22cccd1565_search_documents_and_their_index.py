"""search documents and their index: tenders, provider profiles and contests keep their text cut into words
(search_title, search_text); PostgreSQL indexes them with GIN over a tsvector, SQLite with FTS5 tables kept in
step by triggers (services/search_index.py)

Revision ID: 3a22cccd1565
Revises: f2cd60fbed9c
Create Date: 2026-12-07 07:28:59.711689

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3a22cccd1565'
down_revision = 'f2cd60fbed9c'
branch_labels = None
depends_on = None

# table → the integer key its FTS5 rows refer to (their rowid)
TABLES = {'tenders': 'id', 'provider_profiles': 'user_id', 'contests': 'id'}
# As services.search_index.Indexed.vector_sql: a query repeats this expression to use the index.
VECTOR = ("(setweight(to_tsvector('simple', {t}.search_title), 'A') || "
          "setweight(to_tsvector('simple', {t}.search_text), 'B'))")


def _sqlite_index(t: str, key: str) -> list[str]:
    fts = f'{t}_fts'
    # S608: the names are this file's constants, never input
    delete = (f"INSERT INTO {fts}({fts}, rowid, search_title, search_text) "  # noqa: S608
              f"VALUES ('delete', old.{key}, old.search_title, old.search_text);")
    insert = (f"INSERT INTO {fts}(rowid, search_title, search_text) "  # noqa: S608
              f"VALUES (new.{key}, new.search_title, new.search_text);")
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_title, search_text, content='{t}', content_rowid='{key}', "
        "tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {t} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {t} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF search_title, search_text ON {t} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def upgrade():
    for t in TABLES:
        with op.batch_alter_table(t, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_title', sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
    dialect = op.get_bind().dialect.name
    for t, key in TABLES.items():
        if dialect == 'postgresql':
            op.execute(f"CREATE INDEX ix_{t}_search ON {t} USING gin ({VECTOR.format(t=t)})")
        elif dialect == 'sqlite':
            for statement in _sqlite_index(t, key):
                op.execute(statement)
    # the documents of the rows there already (an empty database: nothing to do, jieba not even loaded)
    from services.search_index import reindex_all  # noqa: PLC0415  (the one segmentation; see its docstring)

    reindex_all(op.get_bind())


def downgrade():
    dialect = op.get_bind().dialect.name
    for t in TABLES:
        if dialect == 'postgresql':
            op.execute(f"DROP INDEX IF EXISTS ix_{t}_search")
        elif dialect == 'sqlite':
            for trigger in ('insert', 'delete', 'update'):
                op.execute(f"DROP TRIGGER IF EXISTS {t}_fts_{trigger}")
            op.execute(f"DROP TABLE IF EXISTS {t}_fts")
    for t in reversed(TABLES):
        with op.batch_alter_table(t, schema=None) as batch_op:
            batch_op.drop_column('search_text')
            batch_op.drop_column('search_title')
