"""Money under real conditions on the Stripe backend (issue 22): no Stripe call is made for a row that can
still roll back (the demo loads on a Stripe installation without asking Stripe anything; a card attempt is
committed before its PaymentIntent is made), and a late card payment goes back through the refund outbox
for what its charge still holds, whatever was refunded from Stripe's dashboard meanwhile."""
import time

import pytest
from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Milestone, StripePayment, StripeRefund, User
from models.types import utcnow
from services import funding, reconciliation, stripe_gateway
from tests.support.stripe_fixtures import (
    card_attempt,
    event_payload,
    pay_like_stripe_js,
    payment_intent_of,
    sign,
    stripe_api,
    stripe_client,
    wait_for,
)
from tests.support.web import PASSWORD, form_post
from workers import jobs


def _intent_count(localstripe) -> int:
    return sum(1 for _ in stripe_client(localstripe).v1.payment_intents.list(params={"limit": 100})
               .auto_paging_iter())


def test_demo_loads_on_a_stripe_installation_and_makes_no_payment_intent(stripe_app, localstripe):
    before = _intent_count(localstripe)
    result = stripe_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "demo data loaded" in result.output
    assert _intent_count(localstripe) == before  # nothing asked of Stripe for rows that could roll back
    with stripe_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StripePayment)) == 0
        funded = db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                   .where(LedgerPosting.kind == "fund"))
        # the photography milestone, the nine of the rated provider's contracts, and the engagements
        # (demo/engagements.py): five periods of the retainer and the metered contract's first
        assert funded == 16


def _post_event(stripe_app, kind: str, obj: dict, event_id: str):
    payload = event_payload(kind, obj, event_id)
    return stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                         headers={"Stripe-Signature": sign(payload)})


def _refunds(localstripe, intent_id) -> list[int]:
    return sorted(r.amount for r in stripe_client(localstripe).v1.refunds.list(
        params={"payment_intent": intent_id}).data)


def test_a_late_payment_after_a_dashboard_refund_gives_back_what_is_left_once(deal, stripe_app, localstripe, app):
    """The brand cancelled the milestone; its card payment went through anyway, and someone refunded part
    of it from Stripe's dashboard before the (redelivered) success event reached us. The webhook answers
    200 and owes the rest; the outbox job refunds exactly the rest, and a replay changes nothing."""
    d = deal()
    mid = d.milestone_ids[0]
    ours = stripe_client(localstripe)
    intent = ours.v1.payment_intents.create(params={"amount": 150000_00, "currency": "cny",
                                                    "payment_method_types": ["card"]})
    pay_like_stripe_js(localstripe, intent.id)
    ours.v1.refunds.create(params={"payment_intent": intent.id, "amount": 40000_00})  # "in the dashboard"
    with app.app_context():
        db.session.add(StripePayment(milestone_id=mid, attempt=1, payment_intent_id=intent.id,
                                     client_secret=intent.client_secret, amount=150000_00, currency="CNY"))
        db.session.get(Milestone, mid).status = "cancelled"
        db.session.commit()
    paid = ours.v1.payment_intents.retrieve(intent.id).to_dict()
    for attempt in range(2):  # Stripe's delivery, then its retry of the same event
        r = _post_event(stripe_app, "payment_intent.succeeded", paid, "evt_late_1")
        assert r.status_code == 200
        assert r.json["result"] == ("refunded_duplicate" if attempt == 0 else "duplicate")
    with stripe_app.app_context():
        owed = db.session.scalars(select(StripeRefund)).one()
        assert (owed.key, owed.amount, owed.status) == (f"refund:extra:{intent.id}", 110000_00, "pending")
        assert jobs.send_pending_refunds() == 1
        assert jobs.send_pending_refunds() == 0
        assert db.session.scalars(select(StripeRefund.status)).one() == "succeeded"
        listed = reconciliation.check_stripe_refunds(utcnow()).differences
        assert [x["detail"] for x in listed if x["subject"] == f"refund:refund:extra:{intent.id}"] == []
    assert _refunds(localstripe, intent.id) == [40000_00, 110000_00]
    charge = paid["latest_charge"]
    assert ours.v1.charges.retrieve(charge if isinstance(charge, str) else charge["id"]).amount_refunded == 150000_00


def test_a_late_payment_refund_stripe_refuses_is_recorded_failed_for_finance(deal, stripe_app, localstripe, app):
    """Owed in full when the webhook came, then part was refunded from the dashboard before the job ran:
    Stripe refuses the full refund, the row says so with Stripe's reason, and reconciliation lists it."""
    d = deal()
    brand, mid, intent_id = card_attempt(d, stripe_app, app)
    with app.app_context():  # the brand cancelled in another tab just as the card went through
        db.session.get(Milestone, mid).status = "cancelled"
        db.session.commit()
    pay_like_stripe_js(localstripe, intent_id)
    assert wait_for(lambda: _pending_refund(app) is not None)
    stripe_client(localstripe).v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000_00})
    with stripe_app.app_context():
        assert jobs.send_pending_refunds() == 0
        refund = db.session.scalars(select(StripeRefund)).one()
        assert (refund.amount, refund.status) == (150000_00, "failed") and refund.failure
        listed = reconciliation.check_stripe_refunds(utcnow()).differences
        assert [(x["subject"], x["error"]) for x in listed if x["detail"] == "refund_refused"] \
            == [(f"refund:refund:extra:{intent_id}", refund.failure)]
    assert _refunds(localstripe, intent_id) == [1000_00]


def _pending_refund(app):
    with app.app_context():
        return db.session.scalar(select(StripeRefund.id).where(StripeRefund.status == "pending"))


def _committed_attempts(app, milestone_id) -> list[tuple[int, str | None]]:
    """What another connection sees: the attempts committed so far."""
    with app.app_context(), db.engine.connect() as other:
        return [tuple(row) for row in other.execute(
            select(StripePayment.attempt, StripePayment.payment_intent_id)
            .where(StripePayment.milestone_id == milestone_id))]


def test_stripe_is_asked_for_a_payment_intent_only_for_a_committed_attempt(deal, stripe_app, localstripe, app,
                                                                           monkeypatch):
    d = deal()
    mid = d.milestone_ids[0]
    seen = []
    real = stripe_gateway.create_payment_intent

    def create_payment_intent(**kwargs):
        seen.append(_committed_attempts(app, mid))
        return real(**kwargs)

    monkeypatch.setattr(stripe_gateway, "create_payment_intent", create_payment_intent)
    r = stripe_api(stripe_app, d.brand).post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "card-x"})
    assert r.status_code == 200 and r.json["client_secret"]
    assert seen == [[(1, None)]]  # the attempt was on record, without its intent, when Stripe was asked
    assert _committed_attempts(app, mid) == [(1, payment_intent_of(app, mid))]


def test_a_payment_intent_whose_recording_rolled_back_is_the_one_the_next_fund_gets(deal, stripe_app, localstripe):
    """Stripe answered, then the request's transaction rolled back (a failed commit, a twin request):
    the committed attempt has no intent on record, and funding again gets the same PaymentIntent back
    from Stripe under the attempt's key, so none is orphaned and the brand pays the one it is shown."""
    d = deal()
    mid = d.milestone_ids[0]
    time.sleep(1)  # Stripe's `created` is in whole seconds: the earlier tests' PaymentIntents are older
    since = int(time.time())
    with stripe_app.app_context():
        brand = db.session.scalars(select(User).where(User.email == d.brand.get("/me").json["email"])).one()
        funding.fund(brand, mid)
        db.session.commit()
        lost = funding.collect_card(brand, mid).client_secret
        db.session.rollback()
        assert db.session.scalars(select(StripePayment.payment_intent_id)).all() == [None]
        assert funding.fund(brand, mid).client_secret is None
        db.session.commit()
        assert funding.collect_card(brand, mid).client_secret == lost
        db.session.commit()
    r = stripe_api(stripe_app, d.brand).post(f"/milestones/{mid}/fund")
    assert r.json["client_secret"] == lost
    made = [pi for pi in (p.to_dict() for p in stripe_client(localstripe).v1.payment_intents.list(
        params={"limit": 100}).auto_paging_iter())
        if pi["created"] >= since and (pi.get("metadata") or {}).get("milestone_id") == str(mid)]
    assert [pi["client_secret"] for pi in made] == [lost]  # one PaymentIntent for the milestone, none orphaned


def test_cancelling_a_milestone_whose_attempt_never_got_its_intent_asks_stripe_nothing(deal, stripe_app, localstripe,
                                                                                       monkeypatch):
    d = deal()
    mid = d.milestone_ids[0]
    with stripe_app.app_context():
        brand = db.session.scalars(select(User).where(User.email == d.brand.get("/me").json["email"])).one()
        funding.fund(brand, mid)
        db.session.commit()
    monkeypatch.setattr(stripe_gateway, "cancel_payment_intent", lambda *_: pytest.fail("asked Stripe"))
    assert stripe_api(stripe_app, d.brand).post(f"/milestones/{mid}/cancel").json["status"] == "cancelled"
    with stripe_app.app_context():
        assert db.session.scalars(select(StripePayment.status)).all() == ["canceled"]


def test_funding_from_the_web_page_records_the_attempt_then_shows_its_card_form(deal, stripe_app, localstripe, app,
                                                                                monkeypatch):
    d = deal()
    mid = d.milestone_ids[0]
    seen = []
    real = stripe_gateway.create_payment_intent
    monkeypatch.setattr(stripe_gateway, "create_payment_intent",
                        lambda **kw: seen.append(_committed_attempts(app, mid)) or real(**kw))
    web = stripe_app.test_client()
    form_post(web, "/login", {"email": d.brand.get("/me").json["email"], "password": PASSWORD})
    r = form_post(web, f"/contracts/milestones/{mid}/fund", {}, page=f"/contracts/{d.contract_id}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/contracts/milestones/{mid}/pay")
    assert seen == [[(1, None)]]
    with app.app_context():
        secret = db.session.scalars(select(StripePayment.client_secret)).one()
    assert secret and secret in web.get(f"/contracts/milestones/{mid}/pay").get_data(as_text=True)
