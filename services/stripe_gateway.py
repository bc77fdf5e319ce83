"""Every call to Stripe goes through here: one configured StripeClient (pointed at STRIPE_API_BASE
when set, e.g. localstripe in tests) and webhook signature checks.

Stripe is never trusted to refuse a double charge or refund: callers pass idempotency keys, and the
platform's own ledger keys and unique constraints are what refuse. Every key sent is prefixed with this
installation's id, and every object created carries it in its metadata (services/installation.py)."""
import json
import time

import stripe
from flask import current_app

from services.installation import installation_id

WEBHOOK_TOLERANCE = 300  # seconds, Stripe's own default


def client() -> stripe.StripeClient:
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], base_addresses={"api": base} if base else None,
                               max_network_retries=2)


def _options(idempotency_key: str) -> dict:
    return {"idempotency_key": f"{installation_id()}:{idempotency_key}"}


def _metadata(**values) -> dict:
    return {"witkey_installation": installation_id(), **{k: str(v) for k, v in values.items()}}


def _ours(obj, installation: str) -> bool:
    return (obj.to_dict().get("metadata") or {}).get("witkey_installation") == installation


def create_payment_intent(*, amount: int, currency: str, milestone_id: int, idempotency_key: str):
    return client().v1.payment_intents.create(
        params={"amount": amount, "currency": currency.lower(), "payment_method_types": ["card"],
                "metadata": _metadata(milestone_id=milestone_id)},
        options=_options(idempotency_key))


def create_top_up_intent(*, amount: int, currency: str, top_up_id: int, brand_id: int, idempotency_key: str):
    """A PaymentIntent that tops up a brand's wallet (services.card_top_ups), told apart by its metadata."""
    return client().v1.payment_intents.create(
        params={"amount": amount, "currency": currency.lower(), "payment_method_types": ["card"],
                "metadata": _metadata(top_up_id=top_up_id, brand_id=brand_id)},
        options=_options(idempotency_key))


def cancel_payment_intent(payment_intent_id: str):
    return client().v1.payment_intents.cancel(payment_intent_id)


def retrieve_payment_intent(payment_intent_id: str):
    return client().v1.payment_intents.retrieve(payment_intent_id)


def refund(*, payment_intent_id: str, amount: int, idempotency_key: str, metadata: dict | None = None):
    params = {"payment_intent": payment_intent_id, "amount": amount, "metadata": _metadata(**(metadata or {}))}
    return client().v1.refunds.create(params=params, options=_options(idempotency_key))


def refundable(payment_intent_id: str) -> int:
    """What the PaymentIntent's charge still holds: its amount less every refund made of it (ours, or
    one made from Stripe's dashboard)."""
    stripe_client = client()
    charge = stripe_client.v1.payment_intents.retrieve(payment_intent_id).latest_charge
    if isinstance(charge, str):  # Stripe gives the id unless asked to expand it (localstripe expands)
        charge = stripe_client.v1.charges.retrieve(charge)
    return charge.amount - (charge.amount_refunded or 0)


def find_refund(payment_intent_id: str, key: str):
    """A refund of this PaymentIntent already made for our `key` (kept in its metadata), or None."""
    ours = installation_id()  # read once, not per refund listed
    for refund in client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100}).data:
        if _ours(refund, ours) and (refund.to_dict().get("metadata") or {}).get("witkey_key") == key:
            return refund
    return None


class MalformedEvent(ValueError):
    """A correctly signed body that is not a Stripe event we can read (no `type`, no `data.object`…)."""


# What the handled event types read from `data.object`; other types are acknowledged and ignored.
_OBJECT_FIELDS = {"payment_intent.": {"id": str, "amount": int, "currency": str},
                  "account.updated": {"id": str},
                  "charge.dispute.": {"id": str, "amount": int, "currency": str, "charge": str, "status": str}}


def verified_event(payload: bytes, signature: str | None):
    """The event if the Stripe-Signature header is valid for our webhook secret and signed within
    WEBHOOK_TOLERANCE of now, in either direction (else stripe.SignatureVerificationError); a signed
    body that is not an event of the shape we read raises ValueError (MalformedEvent)."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    stripe.WebhookSignature.verify_header(payload, signature, secret, WEBHOOK_TOLERANCE)
    signed_at = _signed_at(signature)
    if signed_at > time.time() + WEBHOOK_TOLERANCE:  # Stripe's library only refuses the past
        raise stripe.SignatureVerificationError(f"Timestamp in the future ({signed_at})", signature, payload)
    _check_shape(json.loads(payload))
    return stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE)


def _signed_at(header: str) -> int:
    """The header's timestamp, read as Stripe's library reads it (the first `t=`)."""
    return int(next(value for key, _, value in (item.partition("=") for item in header.split(","))
                    if key == "t"))


def _check_shape(body) -> None:
    if not isinstance(body, dict) or body.get("object", "event") != "event":
        raise MalformedEvent("not a Stripe event object")
    if not isinstance(body.get("id"), str) or not isinstance(body.get("type"), str):
        raise MalformedEvent("an event needs a string id and type")
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("an event needs data.object")
    for prefix, fields in _OBJECT_FIELDS.items():
        if body["type"].startswith(prefix):
            for name, kind in fields.items():
                value = data["object"].get(name)
                if not isinstance(value, kind) or isinstance(value, bool):
                    raise MalformedEvent(f"data.object.{name} is missing or not a {kind.__name__}")


# --- Connect: provider accounts and transfers -----------------------------------------------------

def create_express_account(*, email: str, provider_id: int, idempotency_key: str):
    return client().v1.accounts.create(
        params={"type": "express", "email": email, "capabilities": {"transfers": {"requested": True}},
                "metadata": _metadata(provider_id=provider_id)},
        options=_options(idempotency_key))


def retrieve_account(account_id: str):
    return client().v1.accounts.retrieve(account_id)


def create_onboarding_link(account_id: str, *, refresh_url: str, return_url: str):
    return client().v1.account_links.create(params={"account": account_id, "refresh_url": refresh_url,
                                                    "return_url": return_url, "type": "account_onboarding"})


def create_transfer(*, amount: int, currency: str, destination: str, transfer_group: str, payout_id: int,
                    idempotency_key: str):
    return client().v1.transfers.create(
        params={"amount": amount, "currency": currency.lower(), "destination": destination,
                "transfer_group": transfer_group, "metadata": _metadata(payout_id=payout_id)},
        options=_options(idempotency_key))


def transfers(transfer_group: str | None = None):
    """Every transfer (of one group), following Stripe's pagination."""
    params = {"limit": 100, **({"transfer_group": transfer_group} if transfer_group else {})}
    return client().v1.transfers.list(params=params).auto_paging_iter()


def find_transfer(transfer_group: str, payout_id: int):
    """The transfer already made for this payout (its id is in the metadata), or None."""
    ours = installation_id()
    for transfer in transfers(transfer_group):
        if _ours(transfer, ours) and (transfer.to_dict().get("metadata") or {}).get("payout_id") == str(payout_id):
            return transfer
    return None


def charge_of(payment_intent_id: str):
    """The PaymentIntent's latest charge (None while it has none)."""
    latest = retrieve_payment_intent(payment_intent_id).to_dict().get("latest_charge")
    charge_id = latest.get("id") if isinstance(latest, dict) else latest
    return client().v1.charges.retrieve(charge_id) if charge_id else None


def balance_transaction(txn_id: str) -> dict:
    return client().v1.balance_transactions.retrieve(txn_id).to_dict()


def balance_transactions(*, since: int, until: int | None = None):
    """Every balance transaction created at or after `since` (and before `until`), each with its source
    object expanded (a charge's PaymentIntent, a refund's metadata), following Stripe's pagination."""
    created = {"gte": since, **({"lt": until} if until is not None else {})}
    return client().v1.balance_transactions.list(
        params={"limit": 100, "created": created, "expand": ["data.source"]}).auto_paging_iter()


def balance() -> dict:
    """Stripe's balance: `available` and `pending`, each a list of {amount, currency}."""
    return client().v1.balance.retrieve().to_dict()


def payment_intents():
    return client().v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()


def refunds():
    return client().v1.refunds.list(params={"limit": 100}).auto_paging_iter()


# --- chargebacks (Stripe "disputes") ----------------------------------------------------------------

def disputes():
    """Every dispute on the account, following Stripe's pagination."""
    return client().v1.disputes.list(params={"limit": 100}).auto_paging_iter()


def retrieve_dispute(dispute_id: str):
    return client().v1.disputes.retrieve(dispute_id)


def update_dispute(dispute_id: str, *, evidence: dict[str, str], submit: bool, chargeback_id: int):
    """Send the evidence (text fields only) and, with `submit`, hand it to the bank: after that Stripe
    accepts no more changes. Updating a dispute is idempotent by nature (the same fields set twice)."""
    return client().v1.disputes.update(dispute_id, params={
        "evidence": evidence, "submit": submit, "metadata": _metadata(chargeback_id=chargeback_id)})
