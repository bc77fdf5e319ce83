"""A card-paid period's unspent part goes back to the card, never into the wallet: a wallet can be
withdrawn to a bank account while the card payment can still be charged back (the platform would pay
twice). Against localstripe, as every card test."""
from sqlalchemy import select

from extensions import db
from models import StripePayment, StripeRefund
from tests.support.engagements import periodic_contract
from tests.support.ledger import balances
from tests.support.stripe_fixtures import funded_by_card, payment_intent_of, stripe_api, stripe_client
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


def test_notice_cancels_the_open_card_payment_of_a_period_that_will_not_run(app, api, make_user, stripe_app,
                                                                             localstripe):
    """The brand started paying period 3 by card, then gave notice: period 3 will not run, so its open
    PaymentIntent is cancelled at Stripe (a payment landing anyway would be refunded)."""
    c = periodic_contract(app, api, make_user, periods=3)
    brand = stripe_api(stripe_app, c.brand)
    last = c.milestone_ids[2]
    assert brand.post(f"/milestones/{last}/fund").status_code == 200
    intent_id = payment_intent_of(app, last)
    assert stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).status != "canceled"
    r = brand.post(f"/contracts/{c.contract_id}/notice", json={})
    assert r.status_code == 200, r.json
    assert [p["status"] for p in c.contract()["milestones"]] == ["pending", "pending", "cancelled"]
    assert stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).status == "canceled"
    with app.app_context():
        assert db.session.scalars(select(StripePayment.status).where(StripePayment.milestone_id == last)).one() \
            == "canceled"
