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
"""
from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

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
