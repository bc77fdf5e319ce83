"""Alembic: one head, and upgrading an empty database yields exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from extensions import db, migrate
from models.search import include_name

# The search index (GIN indexes on PostgreSQL, FTS5 tables on SQLite) is made by its migration, not declared
# by the models: left out of the comparison here as in `flask db migrate` (tests/test_search_index.py checks it).
OPTS = {"compare_type": True, "include_name": include_name}


def test_single_head(app):
    with app.app_context():
        heads = ScriptDirectory.from_config(migrate.get_config()).get_heads()
    assert len(heads) == 1, heads


def test_migrations_match_models(app):
    """The session's database was built by `flask db upgrade`; compare it with the models."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={**OPTS, "compare_server_default": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_downgrade_to_base_and_back(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts=OPTS), db.metadata)
    assert diff == []
