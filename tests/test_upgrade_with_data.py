"""Deploying this version on a live database: the demo's data, as the previous release stored it
(tests/data/demo_at_<revision>.json, dumped by that release's own code), is upgraded to the current head
with every row kept, every balance unchanged and every status one the new CHECK constraints accept."""
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import Date, DateTime, MetaData, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from blueprints.links import notification_link
from extensions import db, migrate
from models import Notification, User
from services import funding
from services.errors import Conflict
from tests.support.backends import fresh_database

DUMP = Path(__file__).parent / "data" / "demo_at_10d48fb658f7.json"
INDEX_REVISION = "b5d2e8f41a67"  # unique verified registration numbers
CORRECTIONS_REVISION = "e4f1a9c2b7d3"  # dispute_corrections (four eyes)


@pytest.fixture
def old_database(app, tmp_path):
    """A database of its own (never the suite's), dropped afterwards."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    name = f"{url.database}_upgrade"
    yield fresh_database(url, name)
    fresh_database(url, name, drop=True)


def _value(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _load(conn, tables: dict) -> None:
    meta = MetaData()
    meta.reflect(conn)
    for table in meta.sorted_tables:
        rows = tables.get(table.name)
        if rows:
            conn.execute(table.insert(), [{k: _value(table.c[k], v) for k, v in row.items()} for row in rows])


def _ledger_balances(conn) -> dict:
    rows = conn.execute(text("SELECT account_id, SUM(amount) FROM ledger_entries GROUP BY account_id"))
    return {account: int(total) for account, total in rows}


def test_the_previous_releases_demo_data_upgrades_intact(app, old_database):
    dump = json.loads(DUMP.read_text())
    upgraded = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": old_database})
    with upgraded.app_context():
        upgrade(revision=dump["revision"])
        with db.engine.begin() as conn:
            _load(conn, dump["tables"])
            before = _ledger_balances(conn)
        upgrade()  # to this version's head
        meta = MetaData()
        with db.engine.connect() as conn:
            meta.reflect(conn)
            for name, rows in dump["tables"].items():
                if name in meta.tables:
                    assert conn.scalar(select(func.count()).select_from(meta.tables[name])) == len(rows), name
            assert _ledger_balances(conn) == before
            assert sum(before.values()) == 0
        # Each old notification leads where its stored path led, now built from its endpoint when read.
        old_links = {row["id"]: row["link"] for row in dump["tables"]["notifications"]}
        with upgraded.test_request_context():
            new_links = {row.id: notification_link(row) for row in db.session.scalars(select(Notification))}
        assert new_links == old_links
        assert all(old_links.values())
        # Posting keys are never rewritten, and a deposit key written before references were normalised
        # still refuses its transfer typed another way (issue 14, finding 9).
        with db.engine.connect() as conn:
            keys = set(conn.scalars(text("SELECT key FROM ledger_postings")))
        assert keys == {row["key"] for row in dump["tables"]["ledger_postings"]}
        deposit = next(row for row in dump["tables"]["ledger_postings"] if row["kind"] == "deposit")
        staff = db.session.scalar(select(User).where(User.role == "admin"))
        with pytest.raises(Conflict):
            funding.record_deposit(staff, db.session.get(User, deposit["meta"]["brand_id"]), 1, "CNY",
                                   deposit["reference"].lower().replace("-", " "))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_a_number_verified_twice_stays_verified_for_the_first_provider_only(app, old_database):
    """The unique index on verified registration numbers (issue 14, finding 8) is built on data the old
    release let through: the later accounts holding a verified number go back to pending for staff."""
    dump = json.loads(DUMP.read_text())
    upgraded = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": old_database})
    with upgraded.app_context():
        upgrade(revision=dump["revision"])
        with db.engine.begin() as conn:
            _load(conn, dump["tables"])
        before_index = ScriptDirectory.from_config(migrate.get_config()).get_revision(INDEX_REVISION).down_revision
        upgrade(revision=before_index)  # the release before the index
        with db.engine.begin() as conn:
            first, again = conn.execute(text("SELECT user_id, verified_registration_number FROM provider_profiles "
                                             "WHERE verification_status = 'verified' ORDER BY user_id LIMIT 2")).all()
            conn.execute(text("UPDATE provider_profiles SET verified_registration_number = :n WHERE user_id = :u"),
                         {"n": first[1], "u": again[0]})
        upgrade()
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT user_id, verification_status || ':' || "
                                          "COALESCE(verified_registration_number, '') FROM provider_profiles "
                                          "WHERE user_id IN (:a, :b)"), {"a": first[0], "b": again[0]}).all())
        assert rows == {first[0]: f"verified:{first[1]}", again[0]: "pending:"}
        db.session.remove()
        db.engine.dispose()


def test_corrections_made_before_four_eyes_become_applied_corrections(app, old_database):
    """Issue 14, finding 3: a correction recorded before the dispute_corrections table (only an
    "adjusted" event) shows afterwards as applied, proposed and approved by the staff member who made
    it, with its posting."""
    dump = json.loads(DUMP.read_text())
    upgraded = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": old_database})
    with upgraded.app_context():
        upgrade(revision=dump["revision"])
        with db.engine.begin() as conn:
            _load(conn, dump["tables"])
        before = ScriptDirectory.from_config(migrate.get_config()).get_revision(CORRECTIONS_REVISION).down_revision
        upgrade(revision=before)
        staff = next(row["id"] for row in dump["tables"]["users"] if row["role"] == "admin")
        milestone = dump["tables"]["milestones"][0]
        when = datetime(2026, 11, 1, 8, 0)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO disputes (id, milestone_id, opened_by_id, reason, statement, status, previous_status, "
                "response_deadline, opened_at, provider_amount, decided_by_id) VALUES (900, :m, :s, 'quality', '', "
                "'resolved', 'delivered', :t, :t, 100, :s)"), {"m": milestone["id"], "s": staff, "t": when})
            for n, amount in ((1, 30), (2, 20)):
                conn.execute(text("INSERT INTO ledger_postings (id, key, kind, memo, created_at, meta) "
                                  "VALUES (:id, :k, 'adjustment', 'fix', :t, '{}')"),  # ids: the dump's are set
                             {"id": 9000 + n, "k": f"adjustment:dispute:900:{n}", "t": when})
                conn.execute(text("INSERT INTO dispute_events (dispute_id, actor_id, action, detail, created_at) "
                                  "VALUES (900, :s, 'adjusted', :d, :t)"),
                             {"s": staff, "t": when, "d": json.dumps({"amount": amount, "direction": "to_brand",
                                                                      "reason": f"Fix {n}"})})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.amount, c.direction, c.reason, c.status, c.proposed_by_id, c.decided_by_id, p.key "
                "FROM dispute_corrections c JOIN ledger_postings p ON p.id = c.posting_id ORDER BY c.id")).all()
        assert [tuple(r) for r in rows] == [
            (30, "to_brand", "Fix 1", "applied", staff, staff, "adjustment:dispute:900:1"),
            (20, "to_brand", "Fix 2", "applied", staff, staff, "adjustment:dispute:900:2")]
        db.session.remove()
        db.engine.dispose()
