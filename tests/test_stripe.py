"""The Stripe path end to end against localstripe: fund by PaymentIntent → signed webhook →
funded; a replayed webhook posts nothing more; a bad signature is a 400; refunds go through Stripe."""
import json
import time

from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Milestone, StripePayment, StripeRefund
from models.types import utcnow
from services import reconciliation, stripe_gateway
from services.tasks import queue as rq_queue
from tests.support.payout_fixtures import credit
from tests.support.stripe_fixtures import (
    card_attempt,
    event_payload,
    funded_by_card,
    pay_like_stripe_js,
    payment_intent_of,
    sign,
    stripe_api,
    stripe_client,
    wait_for,
)
from tests.support.web import PASSWORD
from workers import jobs


def fund_postings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerPosting).where(LedgerPosting.kind == "fund"))


def post_event(stripe_app, kind: str, obj: dict, event_id: str) -> dict:
    """A signed Stripe event delivered to the webhook; its JSON answer."""
    payload = event_payload(kind, obj, event_id)
    return stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                         headers={"Stripe-Signature": sign(payload)}).json


def test_fund_by_payment_intent_and_signed_webhook(deal, stripe_app, localstripe, app):
    d = deal()
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[0]
    r = brand.post(f"/milestones/{mid}/fund", headers={"Idempotency-Key": "card-1"})
    assert r.status_code == 200 and r.json["status"] == "awaiting_payment" and r.json["client_secret"]
    again = brand.post(f"/milestones/{mid}/fund")
    assert again.json["client_secret"] == r.json["client_secret"]  # the open PaymentIntent is reused
    intent_id = payment_intent_of(app, mid)
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id)
    assert intent.amount == 150000_00 and intent.metadata["milestone_id"] == str(mid)
    assert brand.get(f"/milestones/{mid}").json["status"] == "pending"  # not before Stripe confirms

    assert pay_like_stripe_js(localstripe, intent_id).status == "succeeded"
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    assert fund_postings(app) == 1
    summary = d.staff.get("/ledger/summary").json
    # Stripe kept its fee (2.9 % + 30): the platform's expense; escrow holds the brand's full amount.
    assert {a["name"]: a["amount"] for a in summary["accounts"]} == {"escrow": 150000_00, "processor_fees": -4350_30,
                                                                     "stripe_clearing": -150000_00 + 4350_30}

    # The same event again (Stripe retries, or someone replays it): nothing more happens.
    payload = event_payload("payment_intent.succeeded", stripe_client(localstripe).v1.payment_intents
                            .retrieve(intent_id).to_dict(), "evt_replayed")
    webhook = stripe_app.test_client()
    for _ in range(2):
        response = webhook.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload)},
                                content_type="application/json")
        assert response.status_code == 200 and response.json["result"] == "duplicate"
    # Out of order: a failure event after the success changes nothing.
    current = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
    failed = event_payload("payment_intent.payment_failed", {**current, "status": "requires_payment_method"})
    response = webhook.post("/webhooks/stripe", data=failed, headers={"Stripe-Signature": sign(failed)},
                            content_type="application/json")
    assert response.json["result"] == "ignored"
    assert fund_postings(app) == 1
    assert brand.get(f"/milestones/{mid}").json["status"] == "funded"


def _fund_by_card(deal, stripe_app, localstripe, app) -> tuple[int, dict]:
    """A deal whose first milestone the brand asked to fund by card: its id, and Stripe's open PaymentIntent."""
    d = deal()
    mid = d.milestone_ids[0]
    stripe_api(stripe_app, d.brand).post(f"/milestones/{mid}/fund")
    return mid, stripe_client(localstripe).v1.payment_intents.retrieve(payment_intent_of(app, mid)).to_dict()


def test_bad_signature_is_400_and_changes_nothing(deal, stripe_app, localstripe, app):
    mid, intent = _fund_by_card(deal, stripe_app, localstripe, app)
    payload = event_payload("payment_intent.succeeded", {**intent, "status": "succeeded"})
    webhook = stripe_app.test_client()
    for header in (sign(payload, secret="whsec_wrong"), "t=1,v1=deadbeef", None,
                   sign(payload, at=int(time.time()) - 3600)):  # too old: outside the 300 s tolerance
        headers = {"Stripe-Signature": header} if header else {}
        r = webhook.post("/webhooks/stripe", data=payload, headers=headers, content_type="application/json")
        assert r.status_code == 400 and r.json["error"]["code"] == "bad_signature"
    r = webhook.post("/webhooks/stripe", data=b"not json", headers={"Stripe-Signature": sign(b"not json")},
                     content_type="application/json")
    assert r.status_code == 400
    assert fund_postings(app) == 0
    with app.app_context():
        assert db.session.get(Milestone, mid).status == "pending"


def test_signed_but_malformed_bodies_are_400_and_change_nothing(deal, stripe_app, localstripe, app):
    """Issue 22 item 3: a correctly signed body that is not an event we can read is refused, not a 500."""
    mid, intent = _fund_by_card(deal, stripe_app, localstripe, app)
    paid = {**intent, "status": "succeeded"}
    event = json.loads(event_payload("payment_intent.succeeded", paid))
    bodies = [b"null", b"[]", b'"payment_intent.succeeded"', b"42", b"{}",
              {k: v for k, v in event.items() if k != "type"},  # no type
              {**event, "type": None},
              {**event, "data": {}},  # no data.object
              {**event, "data": None},
              {**event, "data": {"object": "pi_123"}},
              {**event, "data": {"object": {k: v for k, v in paid.items() if k != "amount"}}},
              {**event, "data": {"object": {**paid, "amount": "150000"}}},
              {**event, "type": "account.updated", "data": {"object": {"object": "account"}}}]
    webhook = stripe_app.test_client()
    for body in bodies:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        r = webhook.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload)},
                         content_type="application/json")
        assert r.status_code == 400, payload
        assert r.json["error"]["code"] == "malformed_event" and r.json["error"]["message"], payload
    assert fund_postings(app) == 0
    with app.app_context():
        assert db.session.get(Milestone, mid).status == "pending"
    # The well-formed event, signed now, is still taken.
    payload = json.dumps(event).encode()
    r = webhook.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload)},
                     content_type="application/json")
    assert r.status_code == 200 and r.json["result"] == "funded"


def test_signature_from_the_future_is_refused(deal, stripe_app, localstripe, app):
    """Stripe's library only refuses timestamps older than the tolerance; one from beyond it ahead is
    as suspect (a captured signature stays valid until then)."""
    _mid, intent = _fund_by_card(deal, stripe_app, localstripe, app)
    payload = event_payload("payment_intent.succeeded", {**intent, "status": "succeeded"})
    webhook = stripe_app.test_client()
    ahead = int(time.time()) + stripe_gateway.WEBHOOK_TOLERANCE + 60
    r = webhook.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload, at=ahead)},
                     content_type="application/json")
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_signature"
    assert fund_postings(app) == 0
    # Within the tolerance (a clock a little ahead of ours) is fine.
    near = int(time.time()) + stripe_gateway.WEBHOOK_TOLERANCE - 60
    r = webhook.post("/webhooks/stripe", data=payload, headers={"Stripe-Signature": sign(payload, at=near)},
                     content_type="application/json")
    assert r.status_code == 200 and r.json["result"] == "funded"


def test_a_second_paid_attempt_is_refunded_not_posted(deal, stripe_app, localstripe, app):
    d = deal()
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[0]
    brand.post(f"/milestones/{mid}/fund")
    first = payment_intent_of(app, mid)
    # A second PaymentIntent for the same milestone (say, from another tab before the first settled).
    extra = stripe_client(localstripe).v1.payment_intents.create(params={
        "amount": 150000_00, "currency": "cny", "payment_method_types": ["card"]})
    with app.app_context():
        db.session.add(StripePayment(milestone_id=mid, attempt=2, payment_intent_id=extra.id,
                                     client_secret=extra.client_secret, amount=150000_00, currency="CNY"))
        db.session.commit()
    pay_like_stripe_js(localstripe, first)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    pay_like_stripe_js(localstripe, extra.id)
    assert wait_for(lambda: _status_of(app, extra.id) == "refunded_duplicate")
    with stripe_app.app_context():
        assert jobs.send_pending_refunds() == 1  # the outbox job the webhook queued (no worker runs it here)
    refunds = stripe_client(localstripe).v1.refunds.list(params={"payment_intent": extra.id})
    assert [r.amount for r in refunds.data] == [150000_00]
    assert fund_postings(app) == 1


def _status_of(app, intent_id) -> str:
    with app.app_context():
        return db.session.scalars(select(StripePayment.status)
                                  .where(StripePayment.payment_intent_id == intent_id)).one()


def _brand_browser(stripe_app, d):
    """A web client signed in as the deal's brand."""

    web = stripe_app.test_client()
    page = web.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    web.post("/login", data={"email": d.brand.get("/me").json["email"], "password": PASSWORD, "csrf_token": token})
    return web


def test_pay_page_loads_stripe_js_from_the_configured_url(deal, stripe_app, localstripe):
    d = deal()
    stripe_api(stripe_app, d.brand).post(f"/milestones/{d.milestone_ids[0]}/fund")
    html = _brand_browser(stripe_app, d).get(f"/contracts/milestones/{d.milestone_ids[0]}/pay").get_data(as_text=True)
    assert f'src="{localstripe}/js.stripe.com/v3/"' in html and 'src="/static/js/pay.js"' in html


def test_the_pay_page_of_a_paid_milestone_says_it_is_paid(deal, stripe_app, localstripe, app):
    d = deal()
    _, mid, _ = funded_by_card(d, stripe_app, localstripe, app)
    page = _brand_browser(stripe_app, d).get(f"/contracts/milestones/{mid}/pay", headers={"Accept-Language": "en"},
                                              follow_redirects=True)
    assert page.status_code == 200 and "already paid for" in page.get_data(as_text=True)


def test_split_decision_refunds_the_brands_share_once_through_stripe(deal, stripe_app, localstripe, app):
    d = deal()
    brand, mid, intent_id = funded_by_card(d, stripe_app, localstripe, app)
    dispute = brand.post(f"/milestones/{mid}/disputes", json={"reason": "not_delivered"}).json["id"]

    staff = stripe_api(stripe_app, d.staff)
    body = {"provider_amount": 60000_00, "reason": "Only the first batch was delivered."}
    for _ in range(3):  # the same request, retried with its Idempotency-Key
        r = staff.post(f"/disputes/{dispute}/resolve", json=body, headers={"Idempotency-Key": "resolve-split"})
        assert r.status_code == 200 and r.json["status"] == "resolved"
    with stripe_app.app_context():
        assert jobs.send_pending_refunds() == 1  # the job the decision queued (no worker runs it here)
        assert jobs.send_pending_refunds() == 0  # and running it again sends nothing
        refund = db.session.scalars(select(StripeRefund)).one()
        assert (refund.status, refund.amount) == ("succeeded", 90000_00)
    refunds = stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.amount for r in refunds.data] == [90000_00]  # exactly one refund of the brand's share
    summary = d.staff.get("/ledger/summary").json
    by_name = {a["name"]: a["amount"] for a in summary["accounts"]}
    # the refund gives the card back the brand's share; Stripe's fee stays kept (the platform's expense)
    assert by_name["stripe_clearing"] == -150000_00 + 90000_00 + 4350_30 and by_name["escrow"] == 0
    assert by_name["processor_fees"] == -4350_30
    assert by_name["provider_payable"] == 60000_00 - 6000_00 and summary["total"] == {"CNY": 0}


def test_a_refund_made_before_a_crash_is_found_not_repeated(deal, stripe_app, localstripe, app):
    """Stripe answered but the worker died before recording it: the retry finds the refund by its key."""
    d = deal()
    brand, mid, intent_id = funded_by_card(d, stripe_app, localstripe, app)
    with stripe_app.app_context():
        db.session.add(StripeRefund(key="refund:dispute:crash", payment_intent_id=intent_id, amount=5000_00,
                                    currency="CNY"))
        db.session.commit()
        stripe_gateway.refund(payment_intent_id=intent_id, amount=5000_00, idempotency_key="refund:dispute:crash",
                              metadata={"witkey_key": "refund:dispute:crash"})  # …and then the crash
        assert jobs.send_pending_refunds() == 0
        assert db.session.scalars(select(StripeRefund.status)).one() == "succeeded"
    assert len(stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent_id}).data) == 1


def test_cancelling_a_milestone_cancels_its_open_payment(deal, stripe_app, localstripe, app):
    d = deal()
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[0]
    brand.post(f"/milestones/{mid}/fund")
    intent_id = payment_intent_of(app, mid)
    assert brand.post(f"/milestones/{mid}/cancel").json["status"] == "cancelled"
    assert stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).status == "canceled"
    assert _status_of(app, intent_id) == "canceled"


def test_a_payment_landing_on_a_cancelled_milestone_is_refunded(deal, stripe_app, localstripe, app):
    d = deal()
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[0]
    brand.post(f"/milestones/{mid}/fund")
    intent_id = payment_intent_of(app, mid)
    with app.app_context():  # the brand cancelled in another tab just as the card went through
        db.session.get(Milestone, mid).status = "cancelled"
        db.session.commit()
    pay_like_stripe_js(localstripe, intent_id)
    assert wait_for(lambda: _status_of(app, intent_id) == "refunded_duplicate")
    with stripe_app.app_context():
        assert jobs.send_pending_refunds() == 1  # the outbox job the webhook queued (no worker runs it here)
    refunds = stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [r.amount for r in refunds] == [150000_00]
    assert fund_postings(app) == 0


def test_a_refund_stripe_refuses_is_marked_failed_and_the_others_are_still_sent(deal, stripe_app, localstripe, app):
    """The outbox sends each refund on its own: one Stripe refuses (more than was charged) is marked
    failed with Stripe's reason and listed by reconciliation; the one after it is still sent."""
    d = deal()
    _, _, intent_id = funded_by_card(d, stripe_app, localstripe, app)
    with stripe_app.app_context():
        db.session.add_all([StripeRefund(key="refund:dispute:too-much", payment_intent_id=intent_id,
                                         amount=999999_00, currency="CNY"),
                            StripeRefund(key="refund:dispute:fine", payment_intent_id=intent_id, amount=5000_00,
                                         currency="CNY")])
        db.session.commit()
        assert jobs.send_pending_refunds() == 1
        rows = {r.key: (r.status, r.failure) for r in db.session.scalars(select(StripeRefund))}
        assert rows["refund:dispute:fine"] == ("succeeded", None)
        status, failure = rows["refund:dispute:too-much"]
        assert status == "failed" and failure
        assert jobs.send_pending_refunds() == 0  # a refused refund is not retried
        listed = reconciliation.check_stripe_refunds(utcnow()).differences
        assert [(x["subject"], x["detail"]) for x in listed if x["detail"] == "refund_refused"] \
            == [("refund:refund:dispute:too-much", "refund_refused")]
    assert [r.amount for r in stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent_id}).data] \
        == [5000_00]


def test_a_payment_intent_cancelled_at_stripe_is_replaced_on_the_next_fund(deal, stripe_app, localstripe, app):
    """Cancelled from Stripe's dashboard (or our cancel's commit was lost): funding again starts a new
    attempt instead of handing out the dead one, and the new one funds the milestone. A signed
    `payment_intent.canceled` event marks the attempt cancelled too, and a late failure event after it
    changes nothing."""
    d = deal()
    brand, mid, dead = card_attempt(d, stripe_app, app)
    first = brand.post(f"/milestones/{mid}/fund").json["client_secret"]  # (the open attempt, reused)
    stripe_client(localstripe).v1.payment_intents.cancel(dead)
    second = brand.post(f"/milestones/{mid}/fund").json["client_secret"]
    assert second and second != first
    with app.app_context():
        attempts = db.session.execute(select(StripePayment.payment_intent_id, StripePayment.status)
                                      .where(StripePayment.milestone_id == mid).order_by(StripePayment.attempt)).all()
    assert [status for _, status in attempts][0] == "canceled" and attempts[1][0] != dead
    assert pay_like_stripe_js(localstripe, attempts[1][0]).status == "succeeded"
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")

    intent = stripe_client(localstripe).v1.payment_intents.retrieve(dead).to_dict()
    for kind in ("payment_intent.canceled", "payment_intent.payment_failed"):
        assert post_event(stripe_app, kind, intent, f"evt_{kind}")["result"] == "ignored"  # cancelled already
    assert _status_of(app, dead) == "canceled" and fund_postings(app) == 1


def test_a_canceled_event_closes_the_open_attempt(deal, stripe_app, localstripe, app):
    d = deal()
    _, mid, intent_id = card_attempt(d, stripe_app, app)
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
    answer = post_event(stripe_app, "payment_intent.canceled", {**intent, "status": "canceled"}, "evt_cancel")
    assert answer["result"] == "canceled" and _status_of(app, intent_id) == "canceled"
    # the brand's open pay page, reloaded, says what to do instead of "not found"
    page = _brand_browser(stripe_app, d).get(f"/contracts/milestones/{mid}/pay", headers={"Accept-Language": "en"},
                                              follow_redirects=True)
    assert page.status_code == 200 and "to pay again" in page.get_data(as_text=True)


def test_a_correction_to_a_card_paying_brand_goes_back_to_the_card(deal, stripe_app, localstripe, api, make_user):
    """After a decision on a card-funded milestone, staff move money from the provider back to the
    brand: it is refunded to the card (a card brand's wallet pays for nothing), never more than the
    charge still holds. The correction is above the approval threshold: the refund is owed once a
    second staff member approves it."""
    d = deal()
    brand, mid, intent_id = funded_by_card(d, stripe_app, localstripe, d.app)
    dispute = brand.post(f"/milestones/{mid}/disputes", json={"reason": "quality"}).json["id"]
    staff = stripe_api(stripe_app, d.staff)
    assert staff.post(f"/disputes/{dispute}/resolve", json={"provider_amount": 100000_00,
                                                             "reason": "Mostly usable."}).status_code == 200
    r = staff.post(f"/disputes/{dispute}/adjustments", json={"amount": 10000_00, "direction": "to_brand",
                                                         "reason": "Two images were unusable after all."})
    assert r.status_code == 202 and r.json["status"] == "pending"
    second = stripe_api(stripe_app, api(make_user("admin")))
    assert second.post(f"/disputes/{dispute}/adjustments/{r.json['id']}/approve").status_code == 200
    with stripe_app.app_context():  # the provider earned more elsewhere: its payable is not the limit
        credit(d.provider.get("/me").json["id"], 200000_00, key="release:elsewhere:1")
        db.session.commit()
    too_much = staff.post(f"/disputes/{dispute}/adjustments", json={"amount": 100000_00, "direction": "to_brand",
                                                                     "reason": "More than the charge still holds."})
    assert too_much.status_code == 409 and too_much.json["error"]["code"] == "refund_exceeds_charge"
    with stripe_app.app_context():
        jobs.send_pending_refunds()
        refunds = {r.key: (r.status, r.amount) for r in db.session.scalars(select(StripeRefund))}
    assert refunds == {f"refund:dispute:{dispute}": ("succeeded", 50000_00),
                       f"refund:adjustment:{dispute}:1": ("succeeded", 10000_00)}
    stripe_refunds = stripe_client(localstripe).v1.refunds.list(params={"payment_intent": intent_id}).data
    assert sorted(r.amount for r in stripe_refunds) == [10000_00, 50000_00]
    by_name = {a["name"]: a["amount"] for a in d.staff.get("/ledger/summary").json["accounts"]}
    assert by_name.get("brand_wallet", 0) == 0 and by_name["stripe_clearing"] == -150000_00 + 60000_00 + 4350_30


def test_a_failed_attempt_is_cancelled_at_stripe_once_another_funds_the_milestone(deal, stripe_app, localstripe, app):
    """Issue 22 item 5: the declined first PaymentIntent would otherwise stay chargeable at Stripe."""
    d = deal()
    brand, mid = stripe_api(stripe_app, d.brand), d.milestone_ids[0]
    brand.post(f"/milestones/{mid}/fund")
    first = payment_intent_of(app, mid)
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(first).to_dict()
    assert post_event(stripe_app, "payment_intent.payment_failed", intent, "evt_declined")["result"] == "failed"
    brand.post(f"/milestones/{mid}/fund")  # a new attempt, as the pay page offers
    with app.app_context():
        second = db.session.scalar(select(StripePayment.payment_intent_id).where(StripePayment.attempt == 2))
    pay_like_stripe_js(localstripe, second)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    with stripe_app.app_context():
        # the webhook queued the cancellation just after its commit (the answer may come first)
        assert wait_for(lambda: rq_queue("default").job_ids)
        assert jobs.cancel_superseded_payments(mid) == 1
    assert _status_of(app, first) == "canceled"
    assert stripe_client(localstripe).v1.payment_intents.retrieve(first).status == "canceled"
    with stripe_app.app_context():
        assert jobs.cancel_superseded_payments() == 0  # the sweep finds nothing left
