"""Marks of use — an API token's or a signed-in browser's last use — written once the request has given
its own database connection back to the pool.

Written while the request still held its connection, each mark took a second one from the pool: on a
threaded server, as many concurrent first uses as the pool has connections each held one and waited for
another, and all of them timed out. The marks are also no part of the request's transaction: a read
never commits, and a request that fails later still counts as a use.
"""
import logging

from flask import g, has_app_context
from sqlalchemy.sql import Executable

from extensions import db

log = logging.getLogger(__name__)


def mark(statement: Executable) -> None:
    """Run `statement` (an UPDATE of a last-use column) when the app context ends; at once outside one."""
    if has_app_context():
        g.setdefault("_use_marks", []).append(statement)
    else:
        _write([statement])


def write_pending(_exc: BaseException | None = None) -> None:
    """teardown_appcontext, registered before Flask-SQLAlchemy's: it runs after the session was removed."""
    statements = g.pop("_use_marks", None)
    if statements:
        try:
            _write(statements)
        except Exception:  # a lost mark of use is not worth failing a response that is already made
            log.exception("recording last use failed")


def _write(statements: list[Executable]) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def init_app(app) -> None:
    # Flask runs teardown functions in reverse order of registration, so this one, registered before
    # db.init_app, runs after the session gave its connection back.
    assert "sqlalchemy" not in app.extensions, "use_marks.init_app must come before db.init_app"
    app.teardown_appcontext(write_pending)
