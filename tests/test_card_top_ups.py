"""Brands top up their wallet by card (issue 18, item 3), against localstripe: a PaymentIntent for the
amount, the wallet credited only by the signed `payment_intent.succeeded` webhook, once."""
from sqlalchemy import func, select

from extensions import db
from models import CardTopUp, LedgerPosting
from tests.support.ledger import balances
from tests.support.stripe_fixtures import (
    event_payload,
    pay_like_stripe_js,
    sign,
    stripe_api,
    stripe_client,
    wait_for,
)
from tests.support.web import PASSWORD


def top_up_postings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "card_top_up"))


def test_a_card_top_up_is_credited_by_the_signed_webhook_once(api, make_user, stripe_app, localstripe, app):
    user = make_user("brand")
    brand = stripe_api(stripe_app, api(user))
    r = brand.post("/wallet/card-top-ups", json={"amount": 2500_00, "currency": "CNY"})
    assert r.status_code == 201 and r.json["status"] == "open" and r.json["client_secret"], r.json
    with app.app_context():
        intent_id = db.session.get(CardTopUp, r.json["id"]).payment_intent_id
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id)
    assert intent.amount == 2500_00 and intent.metadata["top_up_id"] == str(r.json["id"])
    assert balances(brand) == {}  # nothing before Stripe confirms

    assert pay_like_stripe_js(localstripe, intent_id).status == "succeeded"
    assert wait_for(lambda: balances(brand).get("brand_wallet") == 2500_00)
    assert top_up_postings(app) == 1
    # replayed: nothing more
    payload = event_payload("payment_intent.succeeded", stripe_client(localstripe).v1.payment_intents
                            .retrieve(intent_id).to_dict(), "evt_topup_replayed")
    for _ in range(2):
        answer = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                               headers={"Stripe-Signature": sign(payload)})
        assert answer.status_code == 200 and answer.json["result"] == "duplicate"
    # an unsigned or badly signed one is refused
    bad = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                        headers={"Stripe-Signature": sign(payload, secret="whsec_wrong")})
    assert bad.status_code == 400
    assert top_up_postings(app) == 1 and balances(brand)["brand_wallet"] == 2500_00
    with app.app_context():
        assert db.session.get(CardTopUp, r.json["id"]).status == "succeeded"


def test_bad_card_top_ups_are_refused_and_the_ledger_backend_has_none(api, make_user, stripe_app, localstripe, app):
    user = make_user("brand")
    brand = stripe_api(stripe_app, api(user))
    assert brand.post("/wallet/card-top-ups", json={"amount": 0, "currency": "CNY"}).status_code in (400, 422)
    assert brand.post("/wallet/card-top-ups", json={"amount": 100, "currency": "XXX"}).status_code == 422
    provider = stripe_api(stripe_app, api(make_user("provider")))
    assert provider.post("/wallet/card-top-ups", json={"amount": 100, "currency": "CNY"}).status_code == 403
    plain = api(user).post("/wallet/card-top-ups", json={"amount": 100, "currency": "CNY"})  # no Stripe here
    assert plain.status_code == 409 and plain.json["error"]["code"] == "card_unavailable"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CardTopUp)) == 0


def test_the_wallet_page_starts_a_card_top_up_with_stripe_js(api, make_user, stripe_app, localstripe, app):
    user = make_user("brand")
    web = stripe_app.test_client()
    page = web.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    web.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    wallet = web.get("/wallet").get_data(as_text=True)
    assert 'data-testid="card-top-up"' in wallet
    token = wallet.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = web.post("/wallet/card-top-ups", data={"amount": "88.00", "currency": "CNY", "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:1000]
    html = web.get(r.headers["Location"]).get_data(as_text=True)
    assert f'src="{localstripe}/js.stripe.com/v3/"' in html and 'src="/static/js/pay.js"' in html
    assert "<script>" not in html  # CSP: no inline script
    with app.app_context():
        top_up = db.session.scalars(select(CardTopUp)).one()
        assert top_up.amount == 88_00 and top_up.client_secret in html


def test_a_payment_succeeding_after_its_top_up_was_canceled_is_credited_once(api, make_user, stripe_app,
                                                                             localstripe, app):
    """The cancel lost a race with the card at Stripe: the money arrived, so the wallet is credited (once),
    instead of the webhook failing on every retry while the brand's money sits unaccounted."""
    brand = stripe_api(stripe_app, api(make_user("brand")))
    r = brand.post("/wallet/card-top-ups", json={"amount": 700_00, "currency": "CNY"})
    with app.app_context():
        top_up = db.session.get(CardTopUp, r.json["id"])
        top_up.status = "canceled"  # as the canceled event left it
        db.session.commit()
        intent_id = top_up.payment_intent_id
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
    payload = event_payload("payment_intent.succeeded", {**intent, "status": "succeeded"}, "evt_late_success")
    for _ in range(2):
        answer = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                               headers={"Stripe-Signature": sign(payload)})
        assert answer.status_code == 200
    assert top_up_postings(app) == 1 and balances(brand) == {"brand_wallet": 700_00}
