"""Bank statement lines and webhook deliveries keep their statuses as the other status tables do: a
StrEnum with its allowed moves, and a CHECK constraint the database enforces (the one on
webhook_deliveries added by its own migration, which upgrades a database already holding rows)."""
from datetime import date

import pytest
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import BankStatementLine, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.status import IllegalTransition, transition

REVISION, PREVIOUS = "d4e6f8a0b2c4", "c0a7e5d1b915"


@pytest.fixture
def rows(app, make_user):
    brand = make_user("brand")
    with app.app_context():
        line = BankStatementLine(transaction_key="tx-1", transaction_id="TX-1", bank="generic",
                                 value_date=date(2026, 12, 1), amount=100_00, currency="CNY",
                                 reference="WK0000", status="credited", brand_id=brand.id)
        endpoint = WebhookEndpoint(account_id=brand.id, url="https://hooks.example.com/w", events=["*"], secret="s")
        event = WebhookEvent(public_id="evt_1", type="tender.published", resource="tender:1", data={}, audience=[])
        db.session.add_all([line, endpoint, event])
        db.session.flush()
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, resource="tender:1")
        db.session.add(delivery)
        db.session.commit()
        ids = {"bank_statement_lines": line.id, "webhook_deliveries": delivery.id}
        db.session.remove()
    return ids


@pytest.mark.parametrize("model", [BankStatementLine, WebhookDelivery], ids=lambda m: m.__tablename__)
def test_the_database_refuses_a_status_the_model_does_not_know(app, rows, model):
    table = model.__tablename__
    with app.app_context():
        with pytest.raises(IntegrityError, match=f"ck_{table}_status|check constraint"), db.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET status = 'bogus' WHERE id = :id"), {"id": rows[table]})  # noqa: S608
        with db.engine.begin() as conn:
            for status in model.Status:
                conn.execute(text(f"UPDATE {table} SET status = :s WHERE id = :id"),  # noqa: S608
                             {"s": status.value, "id": rows[table]})


def test_only_the_allowed_moves_are_made(app, rows):
    with app.app_context():
        line = db.session.get(BankStatementLine, rows["bank_statement_lines"])
        with pytest.raises(IllegalTransition):  # credited at import: final
            transition(line, "returned")
        line.status = "unmatched"
        transition(line, "assigned")
        delivery = db.session.get(WebhookDelivery, rows["webhook_deliveries"])
        assert delivery.status == "pending"
        transition(delivery, "delivered")
        with pytest.raises(IllegalTransition):  # a delivery that ended is not tried again (a redelivery is new)
            transition(delivery, "failed")
        db.session.rollback()


def _head() -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _has_check() -> bool:
    with db.engine.connect() as conn:
        return "ck_webhook_deliveries_status" in {c["name"] for c in inspect(conn).get_check_constraints(
            "webhook_deliveries")}


def test_the_migration_upgrades_a_database_with_deliveries_and_names_unknown_statuses(app, rows):
    with app.app_context():
        before = db.session.execute(select(WebhookDelivery.__table__)).all()
        db.session.remove()
        try:
            downgrade(revision=PREVIOUS)
            assert not _has_check()
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE webhook_deliveries SET status = 'lost'"))
            with pytest.raises(SystemExit) as exited:  # Flask-Migrate logs the error and exits
                upgrade(revision=REVISION)
            assert "['lost']" in str(exited.value.__context__) and _head() == PREVIOUS
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE webhook_deliveries SET status = 'pending'"))
            upgrade(revision=REVISION)
            assert _head() == REVISION and _has_check()
        finally:
            upgrade()  # the session's database goes on at head whatever happened here
        assert db.session.execute(select(WebhookDelivery.__table__)).all() == before
