"""The CHECK constraint on every status column: the database refuses a status its model does not
know, and the migration that adds them upgrades a database that already holds rows."""
import pytest
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bid, Contract, Dispute, Milestone, Payout, PayoutBatch, StripePayment, StripeRefund, Tender
from models.types import utcnow

REVISION, PREVIOUS = "33b8548c7c0e", "1838546a4051"
MODELS = (Tender, Bid, Contract, Milestone, Dispute, PayoutBatch, Payout, StripePayment, StripeRefund)


def _rows(brand_id: int, provider_id: int) -> dict:
    """One row in each status table, each in a status other than its first (ids by table)."""
    now = utcnow()
    tender = Tender(brand_id=brand_id, title="T", category="design", description="d" * 10, budget_min=1,
                    budget_max=10**6, currency="CNY", bid_deadline=now, rounds=["proposal"], stored_status="awarded")
    bid = Bid(tender=tender, provider_id=provider_id, status="awarded", amount=300, currency="CNY",
              delivery_days=30, proposal="p")
    db.session.add_all([tender, bid])
    db.session.flush()
    contract = Contract(tender_id=tender.id, bid_id=bid.id, title=tender.title, brand_id=brand_id,
                        provider_id=provider_id, amount=300, currency="CNY", status="completed")
    milestone = Milestone(position=0, title="M", amount=300, currency="CNY", status="resolved", due_at=now)
    contract.milestones = [milestone]
    db.session.add(contract)
    db.session.flush()
    batch = PayoutBatch(method="bank", status="closed", cutoff=now, min_amount=0)
    db.session.add_all([
        batch,
        Dispute(milestone_id=milestone.id, opened_by_id=brand_id, reason="quality", status="resolved",
                previous_status="delivered", response_deadline=now),
        StripePayment(milestone_id=milestone.id, attempt=1, payment_intent_id="pi_1", client_secret="s",
                      amount=300, currency="CNY", status="succeeded"),
        StripeRefund(key="refund:dispute:1", payment_intent_id="pi_1", amount=100, currency="CNY",
                     status="failed", failure="refused"),
    ])
    db.session.flush()
    db.session.add(Payout(batch_id=batch.id, provider_id=provider_id, currency="CNY", amount=200, method="bank",
                          status="paid"))
    db.session.commit()
    ids = {model.__tablename__: db.session.scalar(select(model.id)) for model in MODELS}
    db.session.commit()  # no transaction left open: PostgreSQL's ALTER TABLE would wait for it
    return ids


@pytest.fixture
def rows(app, make_user):
    brand, provider = make_user("brand"), make_user("provider")
    with app.app_context():
        ids = _rows(brand.id, provider.id)
        db.session.remove()
    return ids


@pytest.mark.parametrize("model", MODELS, ids=[m.__tablename__ for m in MODELS])
def test_the_database_refuses_a_status_it_does_not_know(app, rows, model):
    table = model.__tablename__
    with app.app_context():
        with pytest.raises(IntegrityError, match=f"ck_{table}_status|check constraint"), db.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET status = 'bogus' WHERE id = :id"),  # noqa: S608 (our tables)
                         {"id": rows[table]})
        with db.engine.begin() as conn:  # every status of the enum is accepted
            for status in model.Status:
                conn.execute(text(f"UPDATE {table} SET status = :status WHERE id = :id"),  # noqa: S608
                             {"status": status.value, "id": rows[table]})


def _constraints() -> dict:
    with db.engine.connect() as conn:
        found = inspect(conn)
        return {model.__tablename__: {c["name"] for c in found.get_check_constraints(model.__tablename__)}
                for model in MODELS}


def _head() -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrading_a_database_with_rows_from_the_previous_head(app, rows):
    with app.app_context():
        before = {model.__tablename__: db.session.execute(select(model.__table__)).all() for model in MODELS}
        db.session.remove()
        try:
            downgrade(revision=PREVIOUS)
            assert all(f"ck_{table}_status" not in names for table, names in _constraints().items())
            upgrade(revision=REVISION)
            assert _head() == REVISION
        finally:
            upgrade()  # the session's database goes on at head whatever happened here
        assert all(f"ck_{table}_status" in names for table, names in _constraints().items())
        after = {model.__tablename__: db.session.execute(select(model.__table__)).all() for model in MODELS}
        assert after == before
        # the partial unique indexes survive the tables being rebuilt (SQLite's batch mode)
        with db.engine.connect() as conn:
            indexes = {ix["name"] for table in ("bids", "disputes") for ix in inspect(conn).get_indexes(table)}
        assert {"uq_bids_live_provider", "uq_disputes_open_milestone"} <= indexes


def test_the_upgrade_names_rows_whose_status_no_model_knows(app, rows):
    with app.app_context():
        db.session.remove()
        try:
            downgrade(revision=PREVIOUS)
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE payouts SET status = 'lost'"))
            with pytest.raises(SystemExit) as exited:  # Flask-Migrate logs the error and exits
                upgrade()
            assert "{'payouts': ['lost']}" in str(exited.value.__context__)
            assert _head() == PREVIOUS  # nothing half done
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE payouts SET status = 'failed'"))
        finally:
            upgrade(revision=REVISION)
            reached = _head()
            upgrade()  # the session's database goes on at head whatever happened here
        assert reached == REVISION
