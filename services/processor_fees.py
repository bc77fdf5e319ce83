"""Stripe's processing fees, posted as a platform expense.

Stripe keeps its fee out of every card charge: the money it holds for us is the charge less the fee, and
a refund never gives the fee back. So for each charge of ours (a funding, or a duplicate payment that was
refunded) the fee on its balance transaction is posted once, under `fee:charge:<charge id>`:
processor_fees −fee (the platform's expense), stripe_clearing +fee (Stripe holds that much less). The
posting's reference is the PaymentIntent and its meta names the charge and balance transaction, which is
what reconciliation matches Stripe's records with. Brand and provider accounts are never touched: escrow,
payables and wallets move by the charge's full amount, and the fee comes out of the platform's side.

The funding webhook posts the fee in its own transaction when Stripe has made the balance transaction;
when it has not yet (Stripe makes it asynchronously) or cannot be read, the `post_processor_fees` job does
it later, and a periodic sweep catches anything a lost job left. The unique key makes every path safe to
run twice. Like every service this never commits."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, select

from extensions import db
from models import LedgerPosting, StripePayment
from models.stripe import PaymentStatus
from models.types import utcnow
from services import ledger, stripe_gateway, tasks
from services.locking import locked_get

KIND = "processor_fee"
# Payments whose fee is still unposted are looked up this long; reconciliation lists any older ones.
SWEEP_DAYS = 30
CHARGED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED_DUPLICATE)  # Stripe took the card's money


def fee_key(charge_id: str) -> str:
    return f"fee:charge:{charge_id}"


def post_fee(payment: StripePayment, charge_id: str, txn: dict) -> LedgerPosting | None:
    """Post the fee of `txn` (the charge's balance transaction, as Stripe returns it) once."""
    key = fee_key(charge_id)
    if ledger.is_posted(key) or not txn.get("fee"):
        return None
    currency = txn["currency"].upper()
    return ledger.post(key, KIND, [(ledger.processor_fees(currency), -txn["fee"]),
                                   (ledger.clearing("stripe_clearing", currency), txn["fee"])],
                       memo=f"Stripe fee on {charge_id}", milestone_id=payment.milestone_id,
                       reference=payment.payment_intent_id,
                       meta={"charge": charge_id, "balance_transaction": txn["id"], "amount": txn["amount"],
                             "net": txn["net"]})


def _fetch(payment: StripePayment) -> tuple[str, dict] | None:
    """(charge id, its balance transaction), or None while Stripe has not made them."""
    charge = stripe_gateway.charge_of(payment.payment_intent_id)
    txn_id = charge and charge.to_dict().get("balance_transaction")
    if not txn_id:
        return None
    txn = txn_id if isinstance(txn_id, dict) else stripe_gateway.balance_transaction(txn_id)
    if not (isinstance(txn.get("fee"), int) and isinstance(txn.get("currency"), str)):
        raise ValueError(f"balance transaction {txn.get('id')} has no fee we can read")
    return charge.id, txn


def record_fee_now_or_later(payment: StripePayment) -> str:
    """Called by the webhook that saw the payment succeed, with the payment row locked: post the fee in
    this transaction if Stripe can tell it now, else queue the job (after commit) that will. Nothing
    here may fail the webhook: the brand's payment is funded whatever happens to its fee."""
    try:
        found = _fetch(payment)
    except Exception as exc:  # noqa: BLE001 (Stripe down or an odd answer: the job and its sweep retry)
        current_app.logger.warning("fee of %s not read now (%s); the job posts it", payment.payment_intent_id, exc)
        found = None
    if found is None:
        tasks.after_commit("post_processor_fees", payment.payment_intent_id)
        return "later"
    post_fee(payment, *found)
    return "posted"


def post_fee_now(payment) -> bool:
    """The fee of a card top-up's charge (services.card_top_ups; `payment` has payment_intent_id and
    milestone_id None), posted now if Stripe can tell it; whether it was. Never fails the webhook."""
    try:
        found = _fetch(payment)
    except Exception as exc:  # noqa: BLE001 (Stripe down or an odd answer: reconciliation lists the charge)
        current_app.logger.warning("fee of %s not read (%s)", payment.payment_intent_id, exc)
        return False
    return found is not None and post_fee(payment, *found) is not None


def unposted(payment_intent_id: str | None = None) -> list[int]:
    """Ids of charged payments (of the last SWEEP_DAYS) with no fee posting yet."""
    posted = exists().where(and_(LedgerPosting.kind == KIND,
                                 LedgerPosting.reference == StripePayment.payment_intent_id))
    stmt = (select(StripePayment.id).where(StripePayment.status.in_(CHARGED), ~posted,
                                           StripePayment.created_at >= utcnow() - timedelta(days=SWEEP_DAYS))
            .order_by(StripePayment.id))
    if payment_intent_id is not None:
        stmt = stmt.where(StripePayment.payment_intent_id == payment_intent_id)
    return list(db.session.scalars(stmt))


def post_missing(payment_id: int) -> bool:
    """The job's step for one payment, under its row lock (the webhook holds the same lock): whether a
    fee was posted. Stripe errors propagate: the step is retried on the next sweep."""
    payment = locked_get(StripePayment, payment_id)
    if payment is None or payment.status not in CHARGED:
        return False
    found = _fetch(payment)
    return found is not None and post_fee(payment, *found) is not None
