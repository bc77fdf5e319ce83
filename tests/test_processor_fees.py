"""Stripe's processing fee on card payments, end to end against the Stripe test servers: posted once per
charge (a platform expense, out of stripe_clearing) whatever webhooks are replayed, posted later by a job
when Stripe has not made the balance transaction yet, kept when the charge is refunded, never changing what
the brand pays or the provider earns; and the finance dashboard's gross, fees and net revenue."""
import csv
import io

from sqlalchemy import func, select

from extensions import db
from models import LedgerEntry, LedgerPosting, StripePayment
from services import ledger, processor_fees
from services.tasks import queue
from tests.support.fake_stripe_balance import card_fee
from tests.support.ledger import balances
from tests.support.stripe_fixtures import (
    card_attempt,
    event_payload,
    funded_by_card,
    pay_like_stripe_js,
    sign,
    stripe_client,
    wait_for,
)
from workers import jobs

AMOUNT = 150000_00  # the deal's milestone
FEE = (AMOUNT * 290 + 5000) // 10000 + 30  # Stripe's 2.9 % + 30 minor units: ¥4,350.30


def fee_postings(app) -> list[tuple[str, int, str]]:
    """(key, amount on processor_fees, reference) of every fee posting."""
    with app.app_context():
        return [(key, int(amount), reference) for key, amount, reference in db.session.execute(
            select(LedgerPosting.key, LedgerEntry.amount, LedgerPosting.reference)
            .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
            .where(LedgerPosting.kind == processor_fees.KIND, LedgerEntry.amount < 0))]


def account_totals(app) -> dict[str, int]:
    with app.app_context():
        return {b.kind: b.amount for b in ledger.summary()[0]}


def charge_of(base: str, intent_id: str) -> dict:
    client = stripe_client(base)
    latest = client.v1.payment_intents.retrieve(intent_id).latest_charge
    return client.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id).to_dict()


def deliver_event(stripe_app, base: str, intent_id: str, event_id: str) -> str:
    payload = event_payload("payment_intent.succeeded",
                            stripe_client(base).v1.payment_intents.retrieve(intent_id).to_dict(), event_id)
    r = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                      headers={"Stripe-Signature": sign(payload)})
    assert r.status_code == 200
    return r.json["result"]


def test_stripes_fee_is_posted_once_per_charge_whatever_is_replayed(deal, stripe_app, localstripe, app):
    assert card_fee(AMOUNT) == FEE == 4350_30
    _brand, _mid, intent_id = funded_by_card(deal(), stripe_app, localstripe, app)
    charge = charge_of(localstripe, intent_id)
    txn = stripe_client(localstripe).v1.balance_transactions.retrieve(charge["balance_transaction"])
    assert (txn.amount, txn.fee, txn.net) == (AMOUNT, FEE, AMOUNT - FEE)  # the test server's fee model
    assert wait_for(lambda: fee_postings(app))

    for n in range(3):  # Stripe retries the event, someone replays it
        assert deliver_event(stripe_app, localstripe, intent_id, f"evt_again_{n}") == "duplicate"
    with stripe_app.app_context():
        assert jobs.post_processor_fees() == {"posted": 0, "failed": []}  # the sweep finds nothing to do
        assert jobs.post_processor_fees(intent_id) == {"posted": 0, "failed": []}
    assert fee_postings(app) == [(f"fee:charge:{charge['id']}", -FEE, intent_id)]
    totals = account_totals(app)
    assert totals["processor_fees"] == -FEE and totals["stripe_clearing"] == -(AMOUNT - FEE)  # what Stripe holds
    assert totals["escrow"] == AMOUNT  # the brand's money in escrow is the full amount


def test_fees_never_change_what_the_brand_pays_or_the_provider_earns(deal, stripe_app, localstripe, app):
    d = deal()
    brand, mid, _intent = funded_by_card(d, stripe_app, localstripe, app)
    d.deliver(0)
    assert brand.post(f"/milestones/{mid}/accept").status_code == 200
    commission = ledger.commission_of(AMOUNT, 1000)
    assert balances(d.provider) == {"provider_payable": AMOUNT - commission}  # not a fen less for the fee
    assert "brand_wallet" not in balances(d.brand)  # the card paid: nothing taken from a wallet
    totals = account_totals(app)
    assert (totals["platform_revenue"], totals["processor_fees"], totals["escrow"]) == (commission, -FEE, 0)
    assert sum(totals.values()) == 0


def test_a_fee_stripe_has_not_made_yet_is_posted_by_the_job(deal, stripe_app, localstripe, app, monkeypatch):
    real_fetch = processor_fees._fetch
    monkeypatch.setattr(processor_fees, "_fetch", lambda payment: None)  # Stripe has no balance transaction yet
    brand, mid, intent_id = card_attempt(deal(), stripe_app, app)
    pay_like_stripe_js(localstripe, intent_id)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    assert fee_postings(app) == []  # funded all the same: the fee never holds the brand's payment up
    with app.app_context():
        assert "workers.jobs.post_processor_fees" in [job.func_name for job in queue("default").jobs]

    monkeypatch.setattr(processor_fees, "_fetch", real_fetch)  # later, Stripe has made it
    with stripe_app.app_context():
        assert jobs.post_processor_fees(intent_id) == {"posted": 1, "failed": []}
        assert jobs.post_processor_fees() == {"posted": 0, "failed": []}
    assert [(amount, reference) for _key, amount, reference in fee_postings(app)] == [(-FEE, intent_id)]


def test_a_duplicate_payment_refunded_in_full_still_costs_its_fee(deal, stripe_app, localstripe, app):
    d = deal()
    brand, mid, first = card_attempt(d, stripe_app, app)
    extra = stripe_client(localstripe).v1.payment_intents.create(params={
        "amount": AMOUNT, "currency": "cny", "payment_method_types": ["card"]})
    with app.app_context():
        db.session.add(StripePayment(milestone_id=mid, attempt=2, payment_intent_id=extra.id,
                                     client_secret=extra.client_secret, amount=AMOUNT, currency="CNY"))
        db.session.commit()
    pay_like_stripe_js(localstripe, first)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    pay_like_stripe_js(localstripe, extra.id)
    assert wait_for(lambda: len(fee_postings(app)) == 2)
    assert sorted(reference for _key, _amount, reference in fee_postings(app)) == sorted([first, extra.id])
    totals = account_totals(app)
    assert totals["processor_fees"] == -2 * FEE  # Stripe gives no fee back on a refund
    assert totals["stripe_clearing"] == -(AMOUNT - 2 * FEE) and totals["escrow"] == AMOUNT


def test_dashboard_shows_gross_fees_and_net_revenue(deal, stripe_app, localstripe, login, make_user):
    d = deal()
    brand, mid, _intent = funded_by_card(d, stripe_app, localstripe, stripe_app)
    d.deliver(0)
    assert brand.post(f"/milestones/{mid}/accept").status_code == 200
    html = login(make_user("admin")).get("/finance").get_data(as_text=True)
    totals = html.split('data-testid="finance-totals-CNY"')[1].split("</table>")[0]
    rows = {row.split('"')[0]: row.split('<td class="num">')[1].split("</td>")[0]
            for row in totals.split('data-testid="total-')[1:]}
    assert rows["revenue"] == "¥15,000.00"  # gross: the commission
    assert rows["fees"] == "¥4,350.30"  # what Stripe kept
    assert rows["net_revenue"] == "¥10,649.70"
    flows = html.split('<table class="flows">')[1].split("</table>")[0]
    assert 'class="bar-fees"' in html and 'class="bar-net_revenue"' in html and "¥4,350.30" in flows
    with stripe_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == processor_fees.KIND)) == 1


def test_the_finance_csv_has_fees_and_net_revenue_per_day(deal, stripe_app, localstripe, login, make_user):
    d = deal()
    brand, mid, _intent = funded_by_card(d, stripe_app, localstripe, stripe_app)
    d.deliver(0)
    assert brand.post(f"/milestones/{mid}/accept").status_code == 200
    staff = login(make_user("admin"))
    r = staff.get("/finance/daily.csv", headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    header, today = rows[0], rows[-1]
    assert header[:2] == ["Day", "Currency"] and len(rows) == 1 + 30  # a row per day of the dashboard
    figures = dict(zip(header[2:], today[2:], strict=True))
    assert today[1] == "CNY" and figures["Platform revenue"] == "15000.00"
    assert figures["Processor fees"] == "4350.30" and figures["Net platform revenue"] == "10649.70"
    assert figures["Funded into escrow"] == "150000.00"
    assert staff.get("/finance/weekly.csv").status_code == 200 and staff.get("/finance/monthly.csv").status_code == 404
