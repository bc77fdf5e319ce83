"""tests/support/fake_stripe_connect.py through the real `stripe` client, the way the app talks to it: Connect
accounts and onboarding, transfers and reversals with Stripe's limits, 24 h idempotency, and refunds that
wait for a transfer reversal."""
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import stripe

from tests.support.stripe_fixtures import SECRET_KEY

DAY = 24 * 3600


@pytest.fixture
def stripe_client(stripe_server) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_server}, max_network_retries=0)


def control(url: str, path: str, method: str = "POST", **params):
    """A test-only control of the fake: /_connect/..."""
    request = urllib.request.Request(url + path, data=urllib.parse.urlencode(params).encode(),  # noqa: S310
                                     method=method)
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def visit(url: str) -> tuple[int, str]:
    """GET without following redirects, as a browser's first hop: (status, Location)."""
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        urllib.request.build_opener(Stay).open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location")
    raise AssertionError("no redirect")


def new_account(client, **metadata):
    return client.v1.accounts.create(params={
        "type": "express", "country": "US", "email": "provider@example.com",
        "capabilities": {"transfers": {"requested": True}}, "metadata": metadata})


def onboarding_link(client, account_id: str):
    return client.v1.account_links.create(params={"account": account_id, "type": "account_onboarding",
                                                  "refresh_url": "https://app.test/refresh",
                                                  "return_url": "https://app.test/return"})


def payable_account(client):
    account = new_account(client)
    assert visit(onboarding_link(client, account.id).url) == (302, "https://app.test/return")
    return account


def paid_charge(client, amount: int = 10000) -> str:
    """A succeeded card charge in localstripe, made as the project does: PaymentIntent, card, confirm."""
    intent = client.v1.payment_intents.create(params={"amount": amount, "currency": "usd",
                                                      "payment_method_types": ["card"]})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    client.v1.payment_intents.update(intent.id, params={"payment_method": method.id})
    confirmed = client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"
    charge = confirmed.latest_charge
    return charge if isinstance(charge, str) else charge.id


def transfers_in(stripe_server, group: str) -> list:
    return [t for t in control(stripe_server, "/_connect/transfers/all", "GET")["data"] if t["transfer_group"] == group]


def test_an_account_is_payable_only_after_onboarding_through_its_link(stripe_client, stripe_server):
    account = new_account(stripe_client, provider_id="7")
    fetched = stripe_client.v1.accounts.retrieve(account.id)
    assert fetched.object == "account" and fetched.type == "express" and fetched.metadata["provider_id"] == "7"
    assert not fetched.details_submitted and not fetched.payouts_enabled and not fetched.charges_enabled
    assert fetched.capabilities.transfers == "inactive" and fetched.requirements.currently_due
    updated = stripe_client.v1.accounts.update(account.id, params={"metadata": {"tier": "gold"}})
    assert updated.metadata.to_dict() == {"provider_id": "7", "tier": "gold"}

    link = onboarding_link(stripe_client, account.id)
    assert link.object == "account_link" and link.url.startswith(stripe_server) and link.expires_at > link.created
    assert visit(link.url) == (302, "https://app.test/return")
    onboarded = stripe_client.v1.accounts.retrieve(account.id)
    assert onboarded.details_submitted and onboarded.payouts_enabled and onboarded.charges_enabled
    assert onboarded.capabilities.transfers == "active" and onboarded.requirements.currently_due == []
    assert visit(link.url) == (302, "https://app.test/refresh")  # a used link

    stale = onboarding_link(stripe_client, account.id)
    control(stripe_server, "/_connect/clock", advance_seconds=301)
    assert visit(stale.url) == (302, "https://app.test/refresh")  # an expired link

    with pytest.raises(stripe.PermissionError):
        stripe_client.v1.accounts.retrieve("acct_unknown")


def test_a_transfer_needs_an_onboarded_existing_destination_and_a_positive_amount(stripe_client, stripe_server):
    pending = new_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": pending.id})
    assert refused.value.http_status == 400 and refused.value.param == "destination"
    assert "capabilities enabled: transfers" in refused.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": "acct_nobody"})
    assert missing.value.code == "resource_missing"
    payable = payable_account(stripe_client)
    with pytest.raises(stripe.InvalidRequestError) as zero:
        stripe_client.v1.transfers.create(params={"amount": 0, "currency": "usd", "destination": payable.id})
    assert zero.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as misspelt:
        stripe_client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": payable.id,
                                                  "transfergroup": "g"})
    assert misspelt.value.code == "parameter_unknown" and misspelt.value.param == "transfergroup"
    paid = stripe_client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": payable.id})
    assert paid.amount == 500 and paid.destination == payable.id

    control(stripe_server, f"/_connect/accounts/{payable.id}/disable_transfers")
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.create(params={"amount": 500, "currency": "usd", "destination": payable.id})


def test_unauthenticated_calls_are_401(stripe_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stripe_server}/v1/transfers", timeout=10)  # noqa: S310
    assert refused.value.code == 401 and json.loads(refused.value.read())["error"]["type"] == "invalid_request_error"


def test_an_idempotency_key_replays_the_first_transfer_for_24_hours(stripe_client, stripe_server):
    destination, group, key = payable_account(stripe_client), f"g-{uuid.uuid4()}", f"payout-{uuid.uuid4()}"
    params = {"amount": 700, "currency": "usd", "destination": destination.id, "transfer_group": group}
    first = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": key})
    again = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": key})
    assert again.id == first.id and again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(transfers_in(stripe_server, group)) == 1

    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.transfers.create(params={**params, "amount": 800}, options={"idempotency_key": key})
    assert len(transfers_in(stripe_server, group)) == 1

    control(stripe_server, "/_connect/clock", advance_seconds=DAY + 1)
    later = stripe_client.v1.transfers.create(params=params, options={"idempotency_key": key})
    assert later.id != first.id and len(transfers_in(stripe_server, group)) == 2


def test_idempotency_covers_what_is_proxied_to_localstripe_too(stripe_client):
    key = f"customer-{uuid.uuid4()}"
    first = stripe_client.v1.customers.create(params={"email": "brand@example.com"}, options={"idempotency_key": key})
    assert stripe_client.v1.customers.create(params={"email": "brand@example.com"},
                                      options={"idempotency_key": key}).id == first.id


def test_transfers_and_reversals_stay_within_the_charge(stripe_client):
    charge, destination = paid_charge(stripe_client, 10000), payable_account(stripe_client)
    base = {"currency": "usd", "destination": destination.id, "source_transaction": charge}
    first = stripe_client.v1.transfers.create(params={**base, "amount": 6000})
    assert first.object == "transfer" and first.source_transaction == charge and first.amount_reversed == 0
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.transfers.create(params={**base, "amount": 4001})
    assert too_much.value.http_status == 400 and too_much.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.transfers.create(params={**base, "amount": 1, "source_transaction": "ch_nonexistent"})
    assert unknown.value.code == "resource_missing"

    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(first.id, params={"amount": 6001})
    partial = stripe_client.v1.transfers.reversals.create(first.id, params={"amount": 2000,
                                                                           "metadata": {"why": "split"}})
    assert partial.object == "transfer_reversal" and partial.transfer == first.id and partial.amount == 2000
    after = stripe_client.v1.transfers.retrieve(first.id)
    assert after.amount_reversed == 2000 and not after.reversed and after.reversals.total_count == 1
    assert stripe_client.v1.transfers.create(params={**base, "amount": 6000}).amount == 6000  # 2000 came back
    rest = stripe_client.v1.transfers.reversals.create(first.id)
    assert rest.amount == 4000 and stripe_client.v1.transfers.retrieve(first.id).reversed
    assert [r.amount for r in stripe_client.v1.transfers.reversals.list(first.id).data] == [4000, 2000]
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.transfers.reversals.create(first.id, params={"amount": 1})


def test_a_refund_waits_for_the_transfer_reversal(stripe_client):
    charge, destination = paid_charge(stripe_client, 10000), payable_account(stripe_client)
    intent = stripe_client.v1.charges.retrieve(charge).payment_intent
    transfer = stripe_client.v1.transfers.create(params={"amount": 7000, "currency": "usd",
                                                         "destination": destination.id, "source_transaction": charge})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent})  # all of it: 7000 is with the provider
    assert "reverse the transfer first" in refused.value.user_message
    platforms_part = stripe_client.v1.refunds.create(params={"charge": charge, "amount": 3000})
    assert platforms_part.amount == 3000
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"payment_intent": intent, "amount": 1})
    assert stripe_client.v1.refunds.list(params={"payment_intent": intent}).data[0].amount == 3000

    stripe_client.v1.transfers.reversals.create(transfer.id)
    assert stripe_client.v1.refunds.create(params={"payment_intent": intent}).amount == 7000
    assert stripe_client.v1.charges.retrieve(charge).amount_refunded == 10000
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"charge": charge})
    assert again.value.code == "charge_already_refunded"


def test_transfers_list_by_group_and_pages_like_stripe(stripe_client):
    destination, other, group = payable_account(stripe_client), payable_account(stripe_client), f"deal-{uuid.uuid4()}"
    made = [stripe_client.v1.transfers.create(params={"amount": 100 + i, "currency": "usd", "transfer_group": group,
                                                      "destination": destination.id}).id for i in range(5)]
    stripe_client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": other.id,
                                              "transfer_group": group})
    first_page = stripe_client.v1.transfers.list(params={"transfer_group": group, "destination": destination.id,
                                                         "limit": 2})
    assert first_page.object == "list" and first_page.has_more and len(first_page.data) == 2
    assert [t.id for t in first_page.auto_paging_iter()] == made[::-1]  # newest first, over three pages
    assert len(stripe_client.v1.transfers.list(params={"transfer_group": group, "limit": 100}).data) == 6
