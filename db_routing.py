"""One read replica for the public reads: which statements may go to it, and which never do.

Why: the public tender hall, the provider directory and the contests are the hottest pages, read by
anonymous visitors far more often than anything is written. A streaming replica (`pg_basebackup -R`, a
hot standby) takes those reads off the primary. It lags the primary by a moment, which an anonymous
visitor cannot tell from a page loaded a moment earlier; someone signed in can (they just posted a
tender and expect to see it), so everything signed in reads the primary (read-your-writes).

How: `DATABASE_REPLICA_URL` (unset: everything on the primary, nothing here does anything) gives a
second engine. A request is marked "public read" before its view runs when it is a GET/HEAD of one of
PUBLIC_READS, without an Authorization header and not signed in. In such a request the session sends a
statement to the replica only while all of these hold: it is a plain SELECT (no FOR UPDATE; no text
SQL, no INSERT/UPDATE/DELETE), the session is not flushing, and it has never flushed or executed
anything else before (once it wrote, it reads its own writes on the primary for the rest of its life).
Everything else — POSTs, signed-in pages, API calls with a token, the workers, the CLI, migrations,
`db.engine` — uses the primary exactly as without a replica. A hot standby refuses every write itself,
so a routing mistake fails loudly instead of writing where it must not. (No read-only startup option
on the replica's connections: PgBouncer in transaction mode refuses the `options` parameter.)

Two more things every PostgreSQL connection does here, replica or not (issue 21: a hot read paid three
round trips to the database besides its own statements):

- **Reads without a transaction.** In a GET or HEAD request a connection is handed out in autocommit mode,
  so plain SELECTs run without the BEGIN before them and the ROLLBACK after the request — and without
  that ROLLBACK psycopg keeps the statements it has prepared (it forgets them all at every ROLLBACK), so
  the hot queries are planned once per connection instead of once per request. Under PostgreSQL's READ
  COMMITTED, which every transaction here uses unless it asks for more, each statement sees its own
  snapshot anyway, so a run of plain SELECTs reads the same with or without a BEGIN around them. The
  first statement that is anything else — INSERT/UPDATE/DELETE, a flush, text SQL that is not a SELECT,
  SAVEPOINT, a SELECT that locks (FOR UPDATE/SHARE), takes an advisory lock or moves a sequence — turns
  the connection back to a transaction before it runs, so a GET that writes writes atomically, commits
  or rolls back as before, and reads its own writes. A session that asks for another isolation level
  (REPEATABLE READ: services/reconciliation.py) gets its transaction from SQLAlchemy as always. POSTs,
  workers, the CLI and anything outside a request are untouched: a transaction from their first statement.
- **A liveness check without a round trip.** Instead of SQLAlchemy's pre-ping (a `;` sent to the server at
  every checkout), a connection taken from the pool is checked locally: psycopg has not marked it closed
  or broken, and its socket has nothing to read (zero-timeout poll). A server that ends an idle
  connection — a restart, `pg_terminate_backend`, PgBouncer's or PostgreSQL's idle timeouts — says so
  (an error message, then end of file), which makes the socket readable; only then is the connection
  pinged, and replaced when the ping fails, before the request sees it. docs/deploy.md weighs this
  against pre-ping.
"""
import re
import select
from functools import lru_cache

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

EXTENSION = "db_replica"
_FLAG = "_public_read"

# Endpoints whose anonymous GETs may be answered from the replica: public pages and their API twins.
PUBLIC_READS = frozenset({
    "tenders.index", "tenders.detail", "api.list_tenders", "api.get_tender",
    "providers.index", "providers.detail", "api.list_providers", "api.get_provider",
    "contests.index", "contests.detail", "api.get_contest",
})


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending a public read's plain SELECTs to the replica (see above)."""

    _wrote = False

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None:
            if self._flushing or (clause is not None and not _plain_select(clause)):
                self._wrote = True  # a flush, DML, text SQL or a lock: the primary, from now on
            elif clause is not None and not self._wrote and _public_read():
                return current_app.extensions[EXTENSION]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _plain_select(clause) -> bool:
    return getattr(clause, "is_select", False) and getattr(clause, "_for_update_arg", None) is None


def _public_read() -> bool:
    return has_request_context() and g.get(_FLAG, False)


def replica_engine(app: Flask) -> Engine | None:
    return app.extensions.get(EXTENSION)


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return
    app.extensions[EXTENSION] = create_engine(url, **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}))
    app.before_request(_mark_public_read)


def _mark_public_read() -> None:
    if (request.method in ("GET", "HEAD") and request.endpoint in PUBLIC_READS
            and "Authorization" not in request.headers and not current_user.is_authenticated):
        g.setdefault(_FLAG, True)


# --- Reads without a transaction; a liveness check without a round trip (see the module docstring) ---

_AUTOCOMMIT_READS = "witkey_autocommit_reads"  # in the pool record's info while the checkout reads without a BEGIN
_READ_METHODS = ("GET", "HEAD")
# what makes a SELECT more than a read: row locks, advisory locks, sequences
_NOT_A_READ = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE)\b|\bFOR\s+KEY\s+SHARE\b|pg_advisory|nextval|setval",
                         re.IGNORECASE)


def _is_psycopg(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("psycopg")


@lru_cache(maxsize=4096)  # SQLAlchemy hands over the same compiled strings again and again
def plain_read(statement: str) -> bool:
    """Whether SQL text only reads: a SELECT that takes no lock and moves no sequence."""
    return statement.lstrip()[:6].upper() == "SELECT" and _NOT_A_READ.search(statement) is None


def _idle_and_quiet(dbapi_connection) -> bool:
    """No round trip: psycopg has not seen the connection fail, and the server has sent nothing since."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return False
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return not poller.poll(0)


def _ping(dbapi_connection) -> bool:
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True
        dbapi_connection.execute(";")
    except Exception:  # noqa: BLE001 (any failure means: not usable)
        return False
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit
    return True


@event.listens_for(Pool, "checkout")
def _on_checkout(dbapi_connection, record, _proxy) -> None:
    if not _is_psycopg(dbapi_connection):
        return
    if not _idle_and_quiet(dbapi_connection) and not _ping(dbapi_connection):
        raise exc.DisconnectionError("the server closed this connection")  # the pool connects afresh
    if has_request_context() and request.method in _READ_METHODS:
        dbapi_connection.autocommit = True
        record.info[_AUTOCOMMIT_READS] = True


@event.listens_for(Engine, "before_cursor_execute")
def _transaction_before_writing(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    fairy = conn.connection
    if fairy.info.get(_AUTOCOMMIT_READS) and not plain_read(statement):
        del fairy.info[_AUTOCOMMIT_READS]
        dbapi_connection = fairy.dbapi_connection
        if dbapi_connection.autocommit:  # psycopg sends BEGIN before this statement
            dbapi_connection.autocommit = False


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection, record) -> None:
    if record.info.pop(_AUTOCOMMIT_READS, False) and dbapi_connection is not None \
            and not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False  # back to a transaction from the first statement
