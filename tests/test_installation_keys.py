"""Issue 22 item 4: Stripe idempotency keys and objects carry this installation's id, so a database
that was reset (ids start again at 1) while sharing the Stripe account never has its requests replayed
as the old installation's objects, nor takes the old installation's transfers for its own."""
import pytest
from sqlalchemy import select

from extensions import db
from models import Installation, Payout
from services import installation
from services.runners import payout_batch
from tests.support.backends import empty_database
from tests.support.payout_fixtures import seed_earnings
from tests.support.stripe_fixtures import call, onboarded


@pytest.fixture
def connect(stripe_server):
    call(stripe_server, "/_connect/reset", method="POST")
    return stripe_server


def test_the_id_is_made_once_kept_and_rotated_on_request(app):
    with app.app_context():
        first = installation.installation_id()
        assert len(first) == 16 and installation.installation_id() == first
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["rotate-installation-id"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rotated = db.session.scalar(select(Installation.key))
        assert rotated != first and rotated in result.output


def test_a_reset_database_sharing_the_stripe_account_pays_its_own_payout(stripe_app, connect):
    accounts = onboarded(connect, 1)
    with stripe_app.app_context():
        seed_earnings(1, 900_00, stripe_accounts=accounts)
        payout_batch.run_batch(payout_batch.start_batch(None).id)
    empty_database(stripe_app)  # the reset: payout 1 again, within Stripe's 24 h of the first payout 1
    with stripe_app.app_context():
        installation.rotate()  # a new database's migration gives it an id of its own
        db.session.commit()
        seed_earnings(1, 700_00, stripe_accounts=accounts)
        payout_batch.run_batch(payout_batch.start_batch(None).id)
        payout = db.session.scalar(select(Payout))
        assert (payout.id, payout.status) == (1, "paid")
    sent = call(connect, "/_connect/transfers/all")["data"]
    assert sorted(t["amount"] for t in sent) == [700_00, 900_00]  # a new transfer, not the old one replayed
    assert payout.transfer_id == next(t["id"] for t in sent if t["amount"] == 700_00)
    assert all(t["metadata"]["witkey_installation"] for t in sent)
