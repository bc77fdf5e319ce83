"""A card-paid period's unspent part goes back to the card, never into the wallet: a wallet can be
withdrawn to a bank account while the card payment can still be charged back (the platform would pay
twice). Against localstripe, as every card test."""
from sqlalchemy import select

from extensions import db
from models import StripeRefund
from tests.support.engagements import periodic_contract
from tests.support.ledger import balances
from tests.support.stripe_fixtures import funded_by_card, stripe_api
from workers import jobs


def test_the_unused_cap_of_a_card_paid_metered_period_is_refunded_to_the_card(app, api, make_user, stripe_app,
                                                                               localstripe):
    c = periodic_contract(app, api, make_user, engagement="metered", kpis=[], periods=1, unit_price=50_00,
                          cap=1000_00)
    brand, mid, intent_id = funded_by_card(c, stripe_app, localstripe, app)
    provider = stripe_api(stripe_app, c.provider)
    assert provider.post(f"/milestones/{mid}/usage", json={"quantity": 3}).status_code == 201
    assert provider.post(f"/milestones/{mid}/deliver", json={"note": "Period report"}).status_code == 200
    assert brand.post(f"/milestones/{mid}/accept").status_code == 200
    with stripe_app.app_context():
        owed = {r.key: (r.amount, r.payment_intent_id) for r in db.session.scalars(select(StripeRefund))}
        assert owed == {f"refund:release:{mid}": (850_00, intent_id)}  # cap 1000 − 3 × 50
        assert jobs.send_pending_refunds() == 1
        assert db.session.scalars(select(StripeRefund)).one().status == "succeeded"
    assert balances(c.brand).get("brand_wallet", 0) == 0  # nothing left in the wallet to withdraw
    assert balances(c.provider) == {"provider_payable": 150_00 - 15_00}
