"""Brands top up their wallet by card when Stripe is configured (issue 18; models.card_top_up).

Like milestone funding by card (services.stripe_funding), in two steps so Stripe is never asked for
anything on behalf of a row that can still roll back: `start` records the attempt (the caller commits),
`collect` makes its PaymentIntent under the key `topup:<id>`. The wallet is credited only by the signed
`payment_intent.succeeded` webhook (`succeeded`, called by services.stripe_funding.handle_event), posted
`topup:<id>` (Stripe clearing → wallet): a replayed event finds the posting and credits nothing twice.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import CardTopUp, User
from models.card_top_up import TopUpStatus
from models.catalog import CURRENCIES
from models.status import transition
from services import destinations, ledger, notifications, permissions, processor_fees, stripe_gateway
from services.accounts import require_verified_email
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get

MAX_AMOUNT = 10**11  # a card top-up is a payment, not a treasury move: bank transfers carry more


def available() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def start(actor: User, amount, currency) -> CardTopUp:
    if actor is None or not actor.is_brand:
        raise Forbidden(_l("Only brands top up a wallet."))
    permissions.require(actor, "wallet.manage")
    require_verified_email(actor)
    if not available():
        raise Conflict(_l("Card payments are not available here: top up by bank transfer."), code="card_unavailable")
    check({
        "amount": not (isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_AMOUNT)
        and _l("Enter a positive amount in minor units."),
        "currency": currency not in CURRENCIES and _l("Choose a supported currency."),
    })
    top_up = CardTopUp(brand_id=actor.account_id, requested_by_id=actor.id, amount=amount, currency=currency,
                       status=TopUpStatus.OPEN.value)
    db.session.add(top_up)
    db.session.flush()
    return top_up


def collect(actor: User, top_up_id: int) -> CardTopUp:
    """The attempt's PaymentIntent (made at Stripe now if it has none yet: the same key gives the same
    intent back if an earlier try's commit was lost)."""
    top_up = locked_get(CardTopUp, top_up_id)
    if top_up is None or top_up.brand_id != actor.account_id:
        raise NotFound()
    if top_up.status != TopUpStatus.OPEN:
        raise Conflict(_l("This card payment is no longer waiting."), code="illegal_transition")
    if top_up.payment_intent_id is None:
        intent = stripe_gateway.create_top_up_intent(amount=top_up.amount, currency=top_up.currency,
                                                     top_up_id=top_up.id, brand_id=top_up.brand_id,
                                                     idempotency_key=f"topup:{top_up.id}")
        top_up.payment_intent_id, top_up.client_secret = intent.id, intent.client_secret
    return top_up


def of_intent(intent_id: str) -> CardTopUp | None:
    return db.session.scalar(select(CardTopUp).where(CardTopUp.payment_intent_id == intent_id).with_for_update())


def succeeded(top_up: CardTopUp, intent) -> str:
    """The webhook saw the card paid: credit the wallet once."""
    key = f"topup:{top_up.id}"
    if ledger.is_posted(key):
        return "duplicate"
    if intent["amount"] != top_up.amount or intent["currency"].upper() != top_up.currency:
        current_app.logger.error("PaymentIntent %s amount/currency differ from top-up %s", intent["id"], top_up.id)
        return "mismatch"
    transition(top_up, TopUpStatus.SUCCEEDED)
    ledger.post(key, "card_top_up", [(ledger.clearing("stripe_clearing", top_up.currency), -top_up.amount),
                                     (ledger.account("brand_wallet", top_up.currency, user_id=top_up.brand_id),
                                      top_up.amount)],
                memo="card top-up", reference=intent["id"], meta={"top_up_id": top_up.id})
    processor_fees.post_fee_now(top_up)  # Stripe kept its fee: the platform's expense, not the brand's
    notifications.notify([top_up.brand_id], "card_top_up", to=destinations.WALLET, amount=top_up.amount,
                         currency=top_up.currency)
    return "topped_up"


def failed(top_up: CardTopUp) -> str:
    if top_up.status != TopUpStatus.OPEN:
        return "ignored"
    transition(top_up, TopUpStatus.FAILED)
    return "failed"


def canceled(top_up: CardTopUp) -> str:
    if top_up.status not in (TopUpStatus.OPEN, TopUpStatus.FAILED):
        return "ignored"
    transition(top_up, TopUpStatus.CANCELED)
    return "canceled"
