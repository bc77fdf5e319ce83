"""tests/support/fake_stripe_balance.py behind the fake Connect server, through the real `stripe` client:
balance transactions with Stripe's card fee for charges, refunds that keep the fee, transfers and their
reversals, Stripe's list filters and pagination, and the balance they add up to."""
import json
import urllib.parse
import urllib.request

import pytest
import stripe

from tests.support.fake_stripe_balance import card_fee
from tests.support.stripe_fixtures import SECRET_KEY, onboarded


@pytest.fixture
def client(stripe_server) -> stripe.StripeClient:
    control(stripe_server, "/_connect/reset")
    control(stripe_server, "/_config/data", "DELETE")
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_server}, max_network_retries=0)


def control(url: str, path: str, method: str = "POST", **params):
    request = urllib.request.Request(url + path, data=urllib.parse.urlencode(params).encode(),  # noqa: S310
                                     method=method, headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read() or b"{}")


def charge_of(client, amount: int, currency: str = "cny") -> dict:
    intent = client.v1.payment_intents.create(params={"amount": amount, "currency": currency,
                                                      "payment_method_types": ["card"]})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    client.v1.payment_intents.update(intent.id, params={"payment_method": method.id})
    latest = client.v1.payment_intents.confirm(intent.id).latest_charge
    return client.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id).to_dict()


def test_stripes_fee_model():
    assert card_fee(10000) == 320  # 2.9 % + 30
    assert card_fee(1234_56) == 3610  # 3580.224 rounds to 3580, + 30
    assert card_fee(50) == 31  # 1.45 rounds down


def test_a_charge_has_a_balance_transaction_with_stripes_fee_and_a_refund_keeps_it(client, stripe_server):
    charge = charge_of(client, 10000)
    txn = client.v1.balance_transactions.retrieve(charge["balance_transaction"])
    assert (txn.type, txn.source, txn.amount, txn.fee, txn.net, txn.currency) == (
        "charge", charge["id"], 10000, 320, 9680, "cny")
    assert txn.fee_details[0].type == "stripe_fee" and txn.status == "pending"

    refund = client.v1.refunds.create(params={"charge": charge["id"], "amount": 4000})
    refund_txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (refund_txn.type, refund_txn.amount, refund_txn.fee, refund_txn.net) == ("refund", -4000, 0, -4000)
    assert client.v1.balance_transactions.retrieve(txn.id).fee == 320  # not given back
    balance = client.v1.balance.retrieve()
    assert sum(b.amount for b in (*balance.available, *balance.pending) if b.currency == "cny") == 9680 - 4000


def test_transfers_reversals_and_stripes_own_rows_are_listed_filtered_and_paged(client, stripe_server):
    charge = charge_of(client, 50000)
    [account] = onboarded(stripe_server, 1)
    transfer = client.v1.transfers.create(params={"amount": 20000, "currency": "cny", "destination": account})
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 5000})
    fee = control(stripe_server, "/_connect/balance_transactions", type="stripe_fee", amount=-150, source="fee_x",
                  currency="cny")

    rows = list(client.v1.balance_transactions.list(params={"limit": 2}).auto_paging_iter())
    assert sorted((t.type, t.amount, t.fee) for t in rows) == sorted([
        ("charge", 50000, card_fee(50000)), ("transfer", -20000, 0), ("transfer_refund", 5000, 0),
        ("stripe_fee", -150, 0)])
    assert client.v1.transfers.retrieve(transfer.id).balance_transaction in {t.id for t in rows}
    by_type = client.v1.balance_transactions.list(params={"type": "transfer_refund"}).data
    assert [(t.source, t.amount) for t in by_type] == [(reversal.id, 5000)]
    by_source = client.v1.balance_transactions.list(params={"source": charge["id"]}).data
    assert [t.type for t in by_source] == ["charge"]
    assert client.v1.balance_transactions.list(params={"created": {"lt": charge["created"]}}).data == []
    newer = client.v1.balance_transactions.list(params={"created": {"gte": charge["created"]}, "limit": 100})
    assert len(newer.data) == 4 and not newer.has_more

    expanded = client.v1.balance_transactions.list(params={"type": "charge", "expand": ["data.source"]}).data[0]
    assert expanded.source.id == charge["id"] and expanded.source.payment_intent == charge["payment_intent"]
    balance = client.v1.balance.retrieve().to_dict()
    total = sum(b["amount"] for state in ("available", "pending") for b in balance[state] if b["currency"] == "cny")
    assert total == 50000 - card_fee(50000) - 20000 + 5000 - 150 and fee["net"] == -150
