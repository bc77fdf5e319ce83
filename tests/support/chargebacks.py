"""Chargebacks as Stripe makes them in tests: a dispute opened on a charge at the fake Connect server
(tests/support/fake_stripe_disputes.py), the signed `charge.dispute.*` webhook delivered to the app, and a
deal's milestone paid by card and released, ready to be charged back."""
import json
import time

from sqlalchemy import select

from extensions import db
from models import Chargeback
from tests.support.stripe_fixtures import call, funded_by_card, sign, stripe_api, stripe_client
from tests.support.web import PASSWORD, finish_login, form_post


def webhook(stripe_app, kind: str, dispute: dict, event_id: str, *, created: int | None = None):
    """The signed event Stripe sends for a dispute, delivered to the app."""
    payload = json.dumps({"id": event_id, "object": "event", "type": kind, "created": created or int(time.time()),
                          "data": {"object": dispute}}).encode()
    return stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                         headers={"Stripe-Signature": sign(payload)})


def charge_of(base: str, intent_id: str) -> str:
    latest = stripe_client(base).v1.payment_intents.retrieve(intent_id).latest_charge
    return latest if isinstance(latest, str) else latest.id


def open_dispute(base: str, intent_id: str, reason: str = "product_not_received") -> dict:
    return call(base, f"/_connect/charges/{charge_of(base, intent_id)}/dispute", {"reason": reason}, method="POST")


def dispute_at_stripe(base: str, dispute_id: str) -> dict:
    return call(base, f"/v1/disputes/{dispute_id}")


def released_by_card(d, stripe_app, localstripe, app) -> tuple[int, str]:
    """The deal's first milestone paid by card, delivered and accepted by the brand: (milestone, intent)."""
    brand, mid, intent_id = funded_by_card(d, stripe_app, localstripe, app)
    provider = stripe_api(stripe_app, d.provider)
    delivery = {"note": "Product photos for 40 SKUs, retouched", "links": ["https://cdn.example.com/shoot-1"]}
    assert provider.post(f"/milestones/{mid}/deliver", json=delivery).status_code == 200
    assert brand.post(f"/milestones/{mid}/accept").status_code == 200
    return mid, intent_id


def case_of(app, dispute_id: str) -> Chargeback:
    with app.app_context():
        case = db.session.scalar(select(Chargeback).where(Chargeback.stripe_dispute_id == dispute_id))
        db.session.expunge(case)
        return case


def web_client(stripe_app, email: str):
    """Signed in through the login form, reading pages in English."""
    client = stripe_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert finish_login(client, form_post(client, "/login", {"email": email, "password": PASSWORD}),
                        email).status_code == 302
    return client
