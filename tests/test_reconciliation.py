"""The daily reconciliation: a ledger after real activity reconciles with no differences; an entry
slipped in with raw SQL, a payout posted wrong, and a card payment Stripe took that the ledger never
recorded are each listed (and left as they are); Stripe's side is checked against the test server."""
import json
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select

from extensions import db
from models import LedgerEntry, Milestone, Payout, PayoutBatch
from models.types import utcnow
from services import ledger, processor_fees, reconciliation, stripe_gateway
from services.runners import payout_batch, refunds
from tests.support.ledger import reconcile, slip_in_entry
from tests.support.payout_fixtures import seed_earnings
from tests.support.stripe_fixtures import (
    SECRET_KEY,
    funded_by_card,
    onboarded,
    pay_like_stripe_js,
    stripe_api,
    stripe_client,
)
from workers import jobs


def busy_deal(deal):
    """Three milestones: one released, one decided in a dispute, one still held in escrow."""
    d = deal(amounts=(100000_00, 50000_00, 30000_00))
    d.deposit(180000_00)
    d.fund(0)
    d.deliver(0)
    d.accept(0)
    d.fund(1)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[1]}/disputes", json={"reason": "quality"}).json["id"]
    r = d.staff.post(f"/disputes/{dispute}/resolve", json={"provider_amount": 20000_00, "reason": "Half was usable."})
    assert r.status_code == 200, r.json
    d.fund(2)
    d.provider_id = d.provider.get("/me").json["id"]
    return d


def test_a_ledger_after_real_activity_reconciles_with_no_differences(deal, app):
    busy_deal(deal)
    result = reconcile(app)
    assert result.ok and result.differences == []
    assert set(result.checked) == set(reconciliation.LEDGER_CHECKS)  # no Stripe configured: no Stripe checks
    assert result.checked["escrow"] == 3 and result.checked["zero_sum"] == 1 and result.checked["posting_balance"] >= 6
    with app.app_context():
        assert reconciliation.latest().id == result.id


def test_an_entry_slipped_in_with_raw_sql_is_listed_by_three_checks_and_not_fixed(deal, app):
    d = busy_deal(deal)
    released = d.milestone_ids[0]
    posting = slip_in_entry(app, f"release:milestone:{released}", released, 777)

    result = reconcile(app)
    assert not result.ok
    assert [(x["subject"], x["actual"]) for x in result.of("posting_balance")] == [
        (f"posting:release:milestone:{released}", 777)]
    assert [(x["subject"], x["actual"]) for x in result.of("zero_sum")] == [("currency:CNY", 777)]
    escrow_differences = result.of("escrow")
    assert {x["subject"] for x in escrow_differences} == {f"milestone:{released}"}  # the milestone is named
    assert {(x["detail"], x["expected"], x["actual"]) for x in escrow_differences} == {
        ("escrow_vs_postings", 0, 777), ("escrow_vs_status", 0, 777)}
    assert escrow_differences[0]["funded"] == 100000_00 and escrow_differences[0]["status"] == "released"
    with app.app_context():  # listed, never fixed: the stray entry is still there
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                 .where(LedgerEntry.posting_id == posting)) == 4
        assert ledger.summary()[1] == {"CNY": 777}


# --- payouts --------------------------------------------------------------------------------------

def make_payout(provider_id: int, amount: int, *, status: str = "pending", method: str = "bank",
                posted: int | None = None, **columns) -> Payout:
    """A payout in its own closed batch, with its `payout:<id>` posting (of `posted` if given)."""
    batch = PayoutBatch(method=method, status="closed", cutoff=utcnow(), min_amount=0)
    db.session.add(batch)
    db.session.flush()
    payout = Payout(batch_id=batch.id, provider_id=provider_id, currency="CNY", amount=amount, method=method,
                    status=status, **columns)
    db.session.add(payout)
    db.session.flush()
    moved = amount if posted is None else posted
    ledger.post(f"payout:{payout.id}", "payout", [(ledger.payable(provider_id, "CNY"), -moved),
                                                  (ledger.clearing("payouts_clearing", "CNY"), moved)])
    return payout


def post_paid(payout: Payout, reference: str, clearing: str = "bank_clearing") -> None:
    ledger.post(f"payout-paid:{payout.id}", "payout_paid",
                [(ledger.clearing("payouts_clearing", "CNY"), -payout.amount), (ledger.clearing(clearing, "CNY"),
                                                                                payout.amount)],
                reference=reference)


def post_failed(payout: Payout) -> None:
    ledger.post(f"payout-failed:{payout.id}", "payout_reversal",
                [(ledger.clearing("payouts_clearing", "CNY"), -payout.amount),
                 (ledger.payable(payout.provider_id, "CNY"), payout.amount)], reference=f"payout:{payout.id}")


def settled_payouts(provider_id: int) -> None:
    """One payout in each status, each posted as services.payouts does."""
    make_payout(provider_id, 10000_00)
    post_paid(make_payout(provider_id, 20000_00, status="paid", bank_reference="ICBC-20260101-1"), "ICBC-20260101-1")
    post_failed(make_payout(provider_id, 5000_00, status="failed"))


def test_payouts_posted_as_their_status_says_reconcile(deal, app):
    d = busy_deal(deal)
    with app.app_context():
        settled_payouts(d.provider_id)
        db.session.commit()
    result = reconcile(app)
    assert result.ok, result.differences
    assert result.checked["payouts"] == 3


def test_a_payout_posted_with_a_wrong_amount_is_listed(deal, app):
    d = busy_deal(deal)
    with app.app_context():
        settled_payouts(d.provider_id)
        wrong = make_payout(d.provider_id, 7000_00, posted=6000_00).id
        db.session.commit()
    result = reconcile(app)
    assert not result.ok
    assert {(x["subject"], x["detail"], x["expected"], x["actual"]) for x in result.of("payouts")} == {
        (f"payout:{wrong}", "posting_amount", 7000_00, 6000_00),
        ("currency:CNY", "clearing_vs_pending", 10000_00 + 7000_00, 10000_00 + 6000_00)}


def test_missing_unexpected_and_overdrawn_payout_postings_are_listed(deal, app):
    d = busy_deal(deal)
    with app.app_context():
        paid_unposted = make_payout(d.provider_id, 1000_00, status="paid", bank_reference="R-1").id
        pending = make_payout(d.provider_id, 2000_00)
        post_paid(pending, "R-2")  # paid on the ledger, still pending in the payouts table
        wrong_reference = make_payout(d.provider_id, 3000_00, status="paid", bank_reference="R-3")
        post_paid(wrong_reference, "R-33")
        overdrawn = make_payout(d.provider_id, 200000_00)  # more than the provider ever earned
        db.session.commit()
        ids = pending.id, wrong_reference.id, overdrawn.id
    result = reconcile(app)
    details = {(x["subject"], x["detail"]) for x in result.of("payouts")}
    assert {(f"payout:{paid_unposted}", "posting_missing"), (f"payout:{ids[0]}", "posting_unexpected"),
            (f"payout:{ids[1]}", "posting_reference"), ("currency:CNY", "clearing_vs_pending")} <= details
    negative = [x for x in result.of("payouts") if x["detail"] == "payable_negative"]
    assert [x["provider"] for x in negative] == [d.provider_id] and negative[0]["actual"] < 0


# --- Stripe ---------------------------------------------------------------------------------------

def control(base: str, path: str, method: str) -> None:
    request = urllib.request.Request(base + path, data=b"" if method == "POST" else None, method=method,  # noqa: S310
                                     headers={"Authorization": f"Bearer {SECRET_KEY}"})
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (the local test server)


@pytest.fixture
def empty_stripe(stripe_server):
    """Stripe as empty as the test's database. The reconciliation lists every object on Stripe, and
    objects earlier tests left there belong to databases that no longer exist."""
    control(stripe_server, "/_connect/reset", "POST")  # the Connect router: accounts, transfers
    control(stripe_server, "/_config/data", "DELETE")  # localstripe behind it: payments, refunds
    return stripe_server


def test_card_payments_refunds_and_transfers_reconcile_with_stripe(deal, stripe_app, empty_stripe, app):
    d = deal()
    brand, mid, _intent = funded_by_card(d, stripe_app, empty_stripe, app)
    dispute = brand.post(f"/milestones/{mid}/disputes", json={"reason": "not_delivered"}).json["id"]
    r = stripe_api(stripe_app, d.staff).post(f"/disputes/{dispute}/resolve",
                                             json={"provider_amount": 60000_00, "reason": "Half delivered."})
    assert r.status_code == 200, r.json
    accounts = onboarded(empty_stripe, 1)
    with stripe_app.app_context():
        refunds.send_pending_refunds()  # the brand's share back on the card
        seed_earnings(1, 700_00, stripe_accounts=accounts, prefix="recon")
        assert payout_batch.run_batch(payout_batch.start_batch(None).id)["by_status"] == {"paid": 1}

    result = reconcile(stripe_app, settle=timedelta(0))
    assert result.ok, result.differences
    assert {name: result.checked[name] for name in reconciliation.STRIPE_CHECKS} == {
        "stripe_payments": 1, "stripe_refunds": 1, "stripe_transfers": 1, "stripe_disputes": 0,
        "stripe_balance_transactions": 3, "stripe_balance": 1}  # the charge (with its fee), refund, transfer


def test_a_payment_stripe_took_without_a_posting_is_listed(stripe_app, empty_stripe):
    stripe = stripe_client(empty_stripe)
    intent = stripe.v1.payment_intents.create(params={"amount": 1234_00, "currency": "cny",
                                                      "payment_method_types": ["card"]})
    assert pay_like_stripe_js(empty_stripe, intent.id).status == "succeeded"  # no milestone, no app record

    assert reconcile(stripe_app).ok  # younger than the settling period: its webhook may still be on its way
    result = reconcile(stripe_app, settle=timedelta(0))
    latest = stripe.v1.payment_intents.retrieve(intent.id).latest_charge
    charge = stripe.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)
    fee = (1234_00 * 290 + 5000) // 10000 + 30
    assert [(x["check"], x["subject"], x["detail"], x["expected"], x["actual"], x["currency"])
            for x in result.differences] == [
        ("stripe_payments", f"payment_intent:{intent.id}", "not_posted", 1234_00, None, "CNY"),
        # Stripe's own record of the money: a charge no posting records, and a balance the ledger lacks
        ("stripe_balance_transactions", f"balance_transaction:{charge.balance_transaction}", "no_ledger_counterpart",
         None, 1234_00, "CNY"),
        ("stripe_balance", "currency:CNY", "balance_differs", 0, 1234_00 - fee, "CNY")]


def test_a_funding_posting_without_its_stripe_payment_is_listed(stripe_app, empty_stripe, deal, app):
    d = deal()
    with app.app_context():
        milestone = db.session.get(Milestone, d.milestone_ids[0])
        ledger.post(f"fund:milestone:{milestone.id}", "fund",
                    [(ledger.clearing("stripe_clearing", "CNY"), -milestone.amount),
                     (ledger.escrow(milestone), milestone.amount)],
                    milestone_id=milestone.id, reference="pi_never_on_stripe")
        milestone.status = "funded"
        db.session.commit()
    result = reconcile(stripe_app, settle=timedelta(0))
    assert [(x["subject"], x["detail"], x["expected"], x["actual"]) for x in result.differences] == [
        ("payment_intent:pi_never_on_stripe", "not_on_stripe", 150000_00, None),
        ("currency:CNY", "balance_differs", 150000_00, 0)]  # the ledger says Stripe holds it; Stripe does not


def test_stripe_that_cannot_be_read_is_a_difference_not_a_pass(stripe_app, empty_stripe, monkeypatch):

    def down():
        raise stripe.APIConnectionError("connection refused")

    monkeypatch.setattr(stripe_gateway, "refunds", down)
    result = reconcile(stripe_app, settle=timedelta(0))
    by_check = defaultdict(list)
    for x in result.differences:
        by_check[x["check"]].append(x["detail"])
    assert not result.ok and by_check == {"stripe_refunds": ["stripe_unreachable"]}


# --- Stripe's balance transactions and balance ----------------------------------------------------

def stripe_made(base: str, kind: str, amount: int, source: str, fee: int = 0) -> dict:
    """A balance transaction Stripe made on its own (a fee it charged, a dispute's withdrawal)."""
    return control_json(base, "/_connect/balance_transactions", type=kind, amount=amount, fee=fee, source=source,
                        currency="cny")


def control_json(base: str, path: str, **params) -> dict:
    request = urllib.request.Request(base + path, data=urllib.parse.urlencode(params).encode(), method="POST",  # noqa: S310
                                     headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def test_money_stripe_moved_that_the_ledger_never_recorded_is_listed_by_day_and_in_the_balance(
        deal, stripe_app, empty_stripe, app):
    funded_by_card(deal(), stripe_app, empty_stripe, app)
    assert reconcile(stripe_app, settle=timedelta(0)).ok  # the payment and its fee are both recorded
    fee = stripe_made(empty_stripe, "stripe_fee", -25_00, "fee_radar_1")  # Stripe charged us; nobody posted it

    result = reconcile(stripe_app, settle=timedelta(0))
    today = utcnow().date().isoformat()
    assert [(x["subject"], x["detail"], x["type"], x["day"], x["actual"]) for x in result.of(
        "stripe_balance_transactions")] == [(f"balance_transaction:{fee['id']}", "no_ledger_counterpart", "stripe_fee",
                                             today, -25_00)]
    [balance] = result.of("stripe_balance")
    assert (balance["subject"], balance["expected"] - balance["actual"]) == ("currency:CNY", 25_00)
    with app.app_context():  # listed, never fixed
        assert not any(b.kind == "processor_fees" and b.amount == -25_00 for b in ledger.summary()[0])


def test_a_dispute_adjustment_recorded_on_a_chargebacks_account_reconciles(deal, stripe_app, empty_stripe, app):
    """The shape a chargeback's posting needs (services for disputes post it): reference = the dispute id,
    stripe_clearing moved by minus the adjustments' net, the other leg on a `chargebacks` account."""
    funded_by_card(deal(), stripe_app, empty_stripe, app)
    withdrawal = stripe_made(empty_stripe, "adjustment", -5000_00, "dp_test_1", fee=15_00)
    result = reconcile(stripe_app, settle=timedelta(0))
    assert [(x["detail"], x["type"], x["source"], x["actual"]) for x in result.of("stripe_balance_transactions")] == [
        ("no_ledger_counterpart", "adjustment", "dp_test_1", withdrawal["net"])]
    with app.app_context():
        ledger.post("chargeback:dp_test_1", "chargeback", [(ledger.account("chargebacks", "CNY"), -5015_00),
                                                           (ledger.clearing("stripe_clearing", "CNY"), 5015_00)],
                    reference="dp_test_1")
        db.session.commit()
    result = reconcile(stripe_app, settle=timedelta(0))
    assert result.ok, result.differences


def test_a_fee_not_posted_yet_is_listed_until_the_job_posts_it(deal, stripe_app, empty_stripe, app, monkeypatch):
    real_fetch = processor_fees._fetch
    monkeypatch.setattr(processor_fees, "_fetch", lambda payment: None)
    _brand, _mid, intent = funded_by_card(deal(), stripe_app, empty_stripe, app)
    result = reconcile(stripe_app, settle=timedelta(0))
    fee = (150000_00 * 290 + 5000) // 10000 + 30
    assert [(x["check"], x["detail"], x["expected"]) for x in result.differences] == [
        ("stripe_balance_transactions", "fee_not_posted", fee), ("stripe_balance", "balance_differs", 150000_00)]
    monkeypatch.setattr(processor_fees, "_fetch", real_fetch)
    with stripe_app.app_context():
        assert jobs.post_processor_fees(intent)["posted"] == 1
    assert reconcile(stripe_app, settle=timedelta(0)).ok


def test_only_the_days_asked_for_are_compared_one_by_one(deal, stripe_app, empty_stripe, app):
    stripe_made(empty_stripe, "stripe_fee", -25_00, "fee_radar_2")
    tomorrow = utcnow() + timedelta(days=1)
    result = reconcile(stripe_app, settle=timedelta(0), since=tomorrow)
    assert result.checked["stripe_balance_transactions"] == 0 and result.of("stripe_balance_transactions") == []
    assert [x["detail"] for x in result.of("stripe_balance")] == ["balance_differs"]  # the balance is all time
    with app.app_context():
        stored = reconciliation.get_run(result.id)
        assert (stored.since, stored.settle_seconds, stored.trigger) == (tomorrow, 0, "schedule")
