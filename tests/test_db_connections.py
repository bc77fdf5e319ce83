"""How requests use their PostgreSQL connection (db_routing.py): plain reads of a GET without a transaction
around them, any write in a transaction from its first statement, and a pooled connection the server
closed replaced before a request sees it — with no round trip spent on checking."""
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from db_routing import plain_read
from extensions import db
from models import User

pytestmark = pytest.mark.postgres


def _status() -> str:
    return db.session.connection().connection.dbapi_connection.info.transaction_status.name


def test_a_get_reads_without_a_transaction_and_writes_in_one(app, make_user):
    make_user("brand", display_name="Moshan Tea")
    with app.test_request_context("/tenders", method="GET"):
        db.session.scalar(select(func.count(User.id)))
        assert _status() == "IDLE"  # no BEGIN was sent for the read
        db.session.execute(text("UPDATE users SET display_name = 'Changed'"))
        assert _status() == "INTRANS"  # the write began a transaction
        db.session.rollback()
        assert db.session.scalar(select(User.display_name)) == "Moshan Tea"  # and it was rolled back
        db.session.remove()


def test_a_post_reads_in_its_transaction_from_the_first_statement(app, make_user):
    make_user("brand")
    with app.test_request_context("/tenders", method="POST"):
        db.session.scalar(select(func.count(User.id)))
        assert _status() == "INTRANS"
        db.session.remove()


def test_locks_advisory_locks_and_sequences_are_not_plain_reads():
    assert plain_read("SELECT users.id FROM users WHERE users.id = %(id)s")
    for sql in ("SELECT id FROM users FOR UPDATE", "SELECT id FROM bids FOR NO KEY UPDATE OF bids",
                "SELECT id FROM users FOR SHARE SKIP LOCKED", "SELECT pg_advisory_xact_lock(7)",
                "SELECT nextval('users_id_seq')", "UPDATE users SET active = true",
                "WITH x AS (DELETE FROM a) SELECT 1", "SAVEPOINT sa_savepoint_1"):
        assert not plain_read(sql), sql


def test_connections_the_server_ended_are_replaced_before_a_request_uses_them(app, make_user, client):
    make_user("brand")
    assert client.get("/api/v1/tenders").status_code == 200  # connections now wait in the pool
    with app.app_context():
        assert db.engine.pool.checkedin() >= 1
        admin = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:  # every other connection to this database, the pooled ones included
            ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.dispose()
    assert ended >= 1
    assert client.get("/api/v1/tenders?page=2").status_code == 200
    assert client.get("/tenders").status_code == 200
    assert client.post("/api/v1/auth/tokens", json={"email": "nobody@example.com", "password": "x" * 12}
                       ).status_code == 401
