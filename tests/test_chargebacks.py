"""Chargebacks end to end on the Stripe test servers: a card payment funds a milestone through localstripe,
the fake Connect server (tests/support/fake_stripe_disputes.py) disputes its charge, and the signed
`charge.dispute.*` webhooks Stripe would send arrive — replayed and out of order. Postings, the staff case,
evidence sent to Stripe, the loss rules (escrow covers, or the platform bears, or a capped recovery from
the provider's next payouts) and the `stripe_disputes` reconciliation."""
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from models import Chargeback, LedgerAccount, LedgerPosting, Milestone, Notification, Payout, PayoutAccount
from services import ledger, reconciliation
from services.runners import payout_batch
from tests.support.chargebacks import case_of, dispute_at_stripe, open_dispute, released_by_card, web_client, webhook
from tests.support.payout_fixtures import backdate, payable_balance
from tests.support.stripe_fixtures import (
    call,
    onboarded,
    pay_like_stripe_js,
    payment_intent_of,
    sign,
    stripe_api,
    stripe_client,
    wait_for,
)
from tests.support.web import form_post

FEE = 1500  # the fake's dispute fee (Stripe's flat fee)


def postings(app, prefix: str) -> dict[str, dict[str, int]]:
    """Posting key → {account kind: amount} for every posting whose key starts with `prefix`."""
    with app.app_context():
        rows = db.session.scalars(select(LedgerPosting).where(LedgerPosting.key.startswith(prefix))).all()
        return {p.key: {e.account.kind: e.amount for e in p.entries} for p in rows}


def balance_of(kind: str, **owner) -> int:
    return ledger.balance(ledger.account(kind, "CNY", **owner))


def stripe_differences(stripe_app) -> list[tuple]:
    with stripe_app.app_context():
        run = reconciliation.run(settle=timedelta(0))
        db.session.commit()
        return [(d["check"], d["subject"], d["detail"]) for d in run.differences]


def test_released_milestone_chargeback_recovered_from_the_provider_capped_once(
        deal, stripe_app, empty_stripe, app, make_user):
    d = deal()
    mid, intent_id = released_by_card(d, stripe_app, empty_stripe, app)
    amount, net = 150000_00, 135000_00  # the provider got the amount less 10 % commission
    dispute = open_dispute(empty_stripe, intent_id)
    du = dispute["id"]
    assert dispute["balance_transactions"][0]["net"] == -(amount + FEE)

    # funds_withdrawn arrives before created; each is then replayed: one case, one posting.
    assert webhook(stripe_app, "charge.dispute.funds_withdrawn", dispute, "evt_w").json["result"] == "opened"
    assert webhook(stripe_app, "charge.dispute.created", dispute, "evt_c").json["result"] == "created"
    for event_id, kind in (("evt_w", "charge.dispute.funds_withdrawn"), ("evt_c", "charge.dispute.created")):
        again = webhook(stripe_app, kind, dispute, event_id)
        assert again.status_code == 200 and again.json["result"] == "duplicate"
    assert postings(app, f"chargeback:{du}:") == {
        f"chargeback:{du}:withdrawn": {"stripe_clearing": amount + FEE, "chargebacks": -(amount + FEE)}}
    case = case_of(app, du)
    assert (case.milestone_id, case.amount, case.fee, case.status, case.loss_bearer) == (
        mid, amount, FEE, "needs_response", "platform")
    with app.app_context():
        staff_told = db.session.scalars(select(Notification.kind).where(Notification.user_id == d.staff.get("/me")
                                                                         .json["id"])).all()
        brand_told = db.session.scalars(select(Notification.kind).where(Notification.user_id == d.brand_id)).all()
        assert staff_told == ["chargeback_opened"] and "chargeback_opened" not in brand_told
        assert db.session.get(Milestone, mid).status == "released"  # released money is not clawed back silently

    # Nobody but staff sees the case.
    for caller in (d.brand, d.provider):
        client = web_client(stripe_app, caller.get("/me").json["email"])
        assert client.get(f"/chargebacks/{case.id}").status_code == 404
        assert client.get("/chargebacks").status_code == 404
        assert form_post(client, f"/chargebacks/{case.id}/provider-at-fault", {"reason": "x" * 20},
                         page="/account").status_code == 404

    # Staff read the evidence pack and submit it to Stripe.
    staff = web_client(stripe_app, make_user("admin").email)
    page = staff.get(f"/chargebacks/{case.id}").get_data(as_text=True)
    assert "Product photos for 40 SKUs" in page and "https://cdn.example.com/shoot-1" in page
    assert "Accepted by the brand" in page and 'data-testid="deadline"' in page
    fields = {"product_description": "Retouched product photos, milestone 1", "customer_name": "Brand Ltd",
              "service_date": "2026-12-01", "uncategorized_text": "Delivered 40 SKUs; the brand accepted them.",
              "submit": "1"}
    assert form_post(staff, f"/chargebacks/{case.id}/evidence", fields,
                     page=f"/chargebacks/{case.id}").status_code == 302
    at_stripe = dispute_at_stripe(empty_stripe, du)
    assert at_stripe["status"] == "under_review" and at_stripe["evidence_details"]["submission_count"] == 1
    assert at_stripe["evidence"]["uncategorized_text"] == "Delivered 40 SKUs; the brand accepted them."
    resubmitted = form_post(staff, f"/chargebacks/{case.id}/evidence", fields, page=f"/chargebacks/{case.id}")
    assert resubmitted.status_code == 422  # the form again: submitted evidence is final
    assert dispute_at_stripe(empty_stripe, du)["evidence_details"]["submission_count"] == 1

    # Staff find the provider at fault: a capped recovery, told to the provider.
    reason = "Evidence from the bank shows the photos were never delivered in full."
    assert form_post(staff, f"/chargebacks/{case.id}/provider-at-fault", {"reason": reason},
                     page=f"/chargebacks/{case.id}").status_code == 302
    assert case_of(app, du).recovery_cap == net
    with app.app_context():
        provider_id = d.provider.get("/me").json["id"]
        assert db.session.scalar(select(Notification.kind).where(Notification.user_id == provider_id)
                                 .order_by(Notification.id.desc())) == "chargeback_recovery"

    # The bank decides: lost. The platform bears the fee and what is not recovered; an older event changes nothing.
    call(empty_stripe, f"/_connect/disputes/{du}/lost", method="POST")
    lost = dispute_at_stripe(empty_stripe, du)
    assert webhook(stripe_app, "charge.dispute.closed", lost, "evt_closed").json["result"] == "closed"
    older = {**dispute, "status": "needs_response"}
    webhook(stripe_app, "charge.dispute.updated", older, "evt_old", created=int(time.time()) - 3600)
    assert case_of(app, du).status == "lost"
    assert postings(app, f"chargeback:{du}:loss") == {
        f"chargeback:{du}:loss:1": {"platform_revenue": -(amount + FEE - net), "chargebacks": amount + FEE - net}}
    with app.app_context():
        assert balance_of("chargebacks") == -net  # owed back by the provider

    provider_page = web_client(stripe_app, d.provider.get("/me").json["email"]).get("/payouts").get_data(as_text=True)
    assert 'data-testid="recoveries"' in provider_page and reason in provider_page and "¥135,000.00" in provider_page

    # The next payout batch deducts at most half of the payout, once; the transfer is the rest.
    account = onboarded(empty_stripe, 1)[0]
    with stripe_app.app_context():
        db.session.add(PayoutAccount(provider_id=provider_id, stripe_account_id=account, stripe_payouts_enabled=True))
        backdate("release:milestone:%", 10)
        db.session.commit()
        batch = payout_batch.start_batch(None)
        assert payout_batch.run_batch(batch.id)["by_status"] == {"paid": 1}
        payout_batch.run_batch(batch.id)  # a second run of the same batch finds nothing more
        payout = db.session.scalar(select(Payout))
        assert payout.amount == net // 2
        assert postings(stripe_app, f"chargeback:{du}:recovery") == {
            f"chargeback:{du}:recovery:batch:{batch.id}": {"provider_payable": -(net // 2), "chargebacks": net // 2}}
        assert payable_balance(provider_id) == 0 and balance_of("chargebacks") == -(net - net // 2)
    transfers = call(empty_stripe, "/_connect/transfers/all")["data"]
    assert [t["amount"] for t in transfers] == [net // 2]
    provider_page = web_client(stripe_app, d.provider.get("/me").json["email"]).get("/payouts").get_data(as_text=True)
    assert "¥67,500.00" in provider_page  # recovered so far, and left

    assert [x for x in stripe_differences(stripe_app) if x[0] == "stripe_disputes"] == []
    # A dispute Stripe opened whose webhooks never arrived is reported, not fixed.
    missing = open_dispute(empty_stripe, intent_id, "fraudulent")
    assert [x for x in stripe_differences(stripe_app) if x[0] == "stripe_disputes"] == [
        ("stripe_disputes", f"dispute:{missing['id']}", "chargeback_missing")]


def fund_by_card(d, stripe_app, base, app, index: int) -> tuple[int, str]:
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[index]
    brand.post(f"/milestones/{mid}/fund")
    intent_id = payment_intent_of(app, mid)
    pay_like_stripe_js(base, intent_id)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    return mid, intent_id


def test_escrowed_milestone_chargebacks_freeze_it_then_won_refills_and_lost_settles(deal, stripe_app, empty_stripe,
                                                                                      app):
    d = deal()
    brand = stripe_api(stripe_app, d.brand)
    won_mid, won_intent = fund_by_card(d, stripe_app, empty_stripe, app, 0)
    lost_mid, lost_intent = fund_by_card(d, stripe_app, empty_stripe, app, 1)
    amount = 150000_00
    won, lost = open_dispute(empty_stripe, won_intent), open_dispute(empty_stripe, lost_intent, "fraudulent")
    for n, dispute in enumerate((won, lost)):
        assert webhook(stripe_app, "charge.dispute.created", dispute, f"evt_c{n}").json["result"] == "opened"
        assert webhook(stripe_app, "charge.dispute.funds_withdrawn", dispute, f"evt_w{n}").json["result"] == \
            "funds_withdrawn"
    for mid, dispute in ((won_mid, won), (lost_mid, lost)):
        du = dispute["id"]
        assert postings(app, f"chargeback:{du}:") == {
            f"chargeback:{du}:cover": {"escrow": -amount, "chargebacks": amount},
            f"chargeback:{du}:withdrawn": {"stripe_clearing": amount + FEE, "chargebacks": -(amount + FEE)}}
        assert brand.get(f"/milestones/{mid}").json["status"] == "charged_back"
        assert case_of(app, du).loss_bearer == "escrow"
    # Frozen: the brand cannot release it, nor open a dispute on it.
    assert brand.post(f"/milestones/{won_mid}/accept").status_code == 409
    assert brand.post(f"/milestones/{won_mid}/disputes", json={"reason": "quality"}).status_code == 409

    call(empty_stripe, f"/_connect/disputes/{won['id']}/won", method="POST")
    call(empty_stripe, f"/_connect/disputes/{lost['id']}/lost", method="POST")
    won_now, lost_now = dispute_at_stripe(empty_stripe, won["id"]), dispute_at_stripe(empty_stripe, lost["id"])
    # closed (won) before funds_reinstated, and funds_reinstated replayed: each posting once.
    assert webhook(stripe_app, "charge.dispute.closed", won_now, "evt_won").json["result"] == "closed"
    for _ in range(2):
        assert webhook(stripe_app, "charge.dispute.funds_reinstated", won_now, "evt_back").status_code == 200
    assert webhook(stripe_app, "charge.dispute.closed", lost_now, "evt_lost").json["result"] == "closed"
    du = won["id"]
    assert postings(app, f"chargeback:{du}:") == {
        f"chargeback:{du}:cover": {"escrow": -amount, "chargebacks": amount},
        f"chargeback:{du}:withdrawn": {"stripe_clearing": amount + FEE, "chargebacks": -(amount + FEE)},
        f"chargeback:{du}:reinstated": {"stripe_clearing": -amount, "chargebacks": amount},
        f"chargeback:{du}:restore": {"chargebacks": -amount, "escrow": amount},
        f"chargeback:{du}:loss:1": {"platform_revenue": -FEE, "chargebacks": FEE}}  # Stripe keeps its fee
    assert brand.get(f"/milestones/{won_mid}").json["status"] == "funded"
    du = lost["id"]
    assert postings(app, f"chargeback:{du}:loss") == {
        f"chargeback:{du}:loss:1": {"platform_revenue": -FEE, "chargebacks": FEE}}
    assert brand.get(f"/milestones/{lost_mid}").json["status"] == "resolved"
    with app.app_context():
        assert balance_of("escrow", milestone_id=won_mid) == amount and balance_of("escrow", milestone_id=lost_mid) == 0
        assert balance_of("chargebacks") == 0
        provider_id = d.provider.get("/me").json["id"]
        assert db.session.scalar(select(func.count()).select_from(LedgerAccount).where(
            LedgerAccount.kind == "provider_payable", LedgerAccount.user_id == provider_id)) == 0  # nothing charged
    assert stripe_differences(stripe_app) == []  # escrow, postings and Stripe's disputes all agree


def test_a_chargeback_on_a_charge_witkey_does_not_know_is_recorded_for_finance(stripe_app, empty_stripe, app):
    stripe = stripe_client(empty_stripe)
    intent = stripe.v1.payment_intents.create(params={"amount": 999_00, "currency": "cny",
                                                      "payment_method_types": ["card"]})
    pay_like_stripe_js(empty_stripe, intent.id)
    dispute = open_dispute(empty_stripe, intent.id, "fraudulent")
    response = webhook(stripe_app, "charge.dispute.created", dispute, "evt_unknown")
    assert response.status_code == 200 and response.json["result"] == "opened"
    case = case_of(app, dispute["id"])
    assert (case.milestone_id, case.loss_bearer, case.amount) == (None, "unknown", 999_00)
    assert postings(app, f"chargeback:{dispute['id']}:") == {
        f"chargeback:{dispute['id']}:withdrawn": {"stripe_clearing": 999_00 + FEE, "chargebacks": -(999_00 + FEE)}}


def test_a_won_chargeback_cancels_the_providers_recovery(deal, stripe_app, empty_stripe, app, make_user):
    d = deal()
    mid, intent_id = released_by_card(d, stripe_app, empty_stripe, app)
    dispute = open_dispute(empty_stripe, intent_id)
    webhook(stripe_app, "charge.dispute.created", dispute, "evt_c")
    case = case_of(app, dispute["id"])
    staff = web_client(stripe_app, make_user("admin").email)
    too_short = form_post(staff, f"/chargebacks/{case.id}/provider-at-fault", {"reason": "bad"},
                          page=f"/chargebacks/{case.id}")
    assert too_short.status_code == 422 and case_of(app, dispute["id"]).loss_bearer == "platform"
    assert form_post(staff, f"/chargebacks/{case.id}/provider-at-fault",
                     {"reason": "The delivery links were empty when the bank checked."},
                     page=f"/chargebacks/{case.id}").status_code == 302
    provider = web_client(stripe_app, d.provider.get("/me").json["email"])
    assert "Waiting for the bank" in provider.get("/payouts").get_data(as_text=True)

    call(empty_stripe, f"/_connect/disputes/{dispute['id']}/won", method="POST")
    won = dispute_at_stripe(empty_stripe, dispute["id"])
    webhook(stripe_app, "charge.dispute.funds_reinstated", won, "evt_back")
    webhook(stripe_app, "charge.dispute.closed", won, "evt_won")
    assert "Cancelled: the chargeback was won" in provider.get("/payouts").get_data(as_text=True)
    with app.app_context():
        assert balance_of("chargebacks") == 0 and balance_of("platform_revenue") == 15000_00 - FEE
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "chargeback_recovery")) == 0
        assert payable_balance(d.provider.get("/me").json["id"]) == 135000_00  # untouched
    assert [x for x in stripe_differences(stripe_app) if x[0] == "stripe_disputes"] == []


def test_events_of_a_new_dispute_delivered_at_once_open_one_case_and_post_once(deal, stripe_app, empty_stripe, app):
    d = deal()
    _mid, intent_id = fund_by_card(d, stripe_app, empty_stripe, app, 0)
    dispute = open_dispute(empty_stripe, intent_id)
    kinds = ["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated"] * 2

    def deliver(i: int) -> int:
        payload = json.dumps({"id": f"evt_race_{i % 3}", "object": "event", "type": kinds[i],
                              "created": int(time.time()), "data": {"object": dispute}}).encode()
        request = urllib.request.Request(  # noqa: S310 (our own test server)
            f"{stripe_app.live_url}/webhooks/stripe", data=payload, method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)})
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status

    barrier = threading.Barrier(len(kinds))
    with ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        codes = list(pool.map(lambda i: (barrier.wait(), deliver(i))[1], range(len(kinds))))
    assert codes == [200] * len(kinds)
    du = dispute["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Chargeback)) == 1
    assert set(postings(app, f"chargeback:{du}:")) == {f"chargeback:{du}:cover", f"chargeback:{du}:withdrawn"}
