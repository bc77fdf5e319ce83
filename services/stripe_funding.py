"""The Stripe backend: a milestone is funded by a card PaymentIntent and becomes `funded` only when
Stripe's signed `payment_intent.succeeded` webhook arrives. Replayed or out-of-order events change
nothing twice: the ledger posting key `fund:milestone:<id>` is unique. Stripe's fee on the charge is
posted as the platform's expense (services/processor_fees.py, key `fee:charge:<charge id>`)."""
import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Milestone, StripePayment, StripeRefund
from models.contract import MilestoneStatus
from models.status import transition
from models.stripe import OPEN, PAYMENT_TRANSITIONS, PaymentStatus, RefundStatus
from services import (
    card_top_ups,
    chargebacks,
    destinations,
    ledger,
    notifications,
    payout_accounts,
    processor_fees,
    stripe_gateway,
    tasks,
)
from services.errors import Conflict
from services.escrow import FundResult, mark_funded
from services.locking import locked_get


class StripeBackend:
    """Funding by card, in two steps so that Stripe is never asked for anything on behalf of a row that
    can still roll back: `fund` records the attempt (the caller commits it), then `collect_card` asks
    Stripe for its PaymentIntent under a key made of the committed attempt (`fund:milestone:<id>:
    attempt:<n>`, prefixed with the installation id). If what follows the Stripe call rolls back (a
    twin request, a failed commit), the attempt is still on record without its intent, and the next
    `collect_card` gets the same PaymentIntent back from Stripe for the same key: none is left
    orphaned, and no other attempt can ever reuse the key."""

    name = "stripe"

    def fund(self, actor, milestone: Milestone) -> FundResult:
        """Reuse the milestone's open attempt, or record a new one (no Stripe call: see collect_card)."""
        payment = open_payment(milestone)
        if payment is not None and _cancelled_at_stripe(payment):
            payment = None
        if payment is None:
            attempt = 1 + db.session.scalar(select(func.count()).select_from(StripePayment)
                                            .where(StripePayment.milestone_id == milestone.id))
            payment = StripePayment(milestone_id=milestone.id, attempt=attempt, amount=milestone.amount,
                                    currency=milestone.currency, status=PaymentStatus.REQUIRES_PAYMENT_METHOD)
            db.session.add(payment)
            db.session.flush()
        return FundResult(status="awaiting_payment", client_secret=payment.client_secret)

    def collect_card(self, milestone: Milestone) -> FundResult:
        """The PaymentIntent of the milestone's open attempt, created at Stripe if the attempt (committed
        by the caller before this) has none yet."""
        payment = open_payment(milestone, locked=True)
        if payment is None:
            raise Conflict(_l("This milestone has no card payment waiting. If it is not funded yet, choose “Fund into "
                              "escrow” to pay again."), code="illegal_transition")
        if payment.payment_intent_id is None:
            intent = stripe_gateway.create_payment_intent(
                amount=payment.amount, currency=payment.currency, milestone_id=milestone.id,
                idempotency_key=f"fund:milestone:{milestone.id}:attempt:{payment.attempt}")
            payment.payment_intent_id, payment.client_secret = intent.id, intent.client_secret
            if intent.status in PAYMENT_TRANSITIONS[payment.status]:  # cancelled at Stripe meanwhile, say
                transition(payment, intent.status)
        return FundResult(status="awaiting_payment", client_secret=payment.client_secret)

    def abandon(self, milestone: Milestone) -> None:
        """Cancel an open PaymentIntent of a milestone the brand cancelled. If Stripe says it can no
        longer be cancelled (the card went through), its webhook will refund it."""
        payment = open_payment(milestone)
        if payment is None:
            return
        if payment.payment_intent_id is None:  # never handed out: nothing at Stripe can be paid
            transition(payment, PaymentStatus.CANCELED)
            return
        try:
            stripe_gateway.cancel_payment_intent(payment.payment_intent_id)
            transition(payment, PaymentStatus.CANCELED)
        except stripe.StripeError:
            current_app.logger.warning("could not cancel %s; a late payment will be refunded",
                                       payment.payment_intent_id)


def _cancelled_at_stripe(payment: StripePayment) -> bool:
    """Whether Stripe cancelled the open PaymentIntent (from its dashboard, or our cancel whose commit
    was lost): then the row says so, and a new attempt replaces it. If Stripe cannot be asked, the
    intent is reused as it is."""
    if payment.payment_intent_id is None:
        return False
    try:
        status = stripe_gateway.retrieve_payment_intent(payment.payment_intent_id).status
    except stripe.StripeError:
        current_app.logger.warning("could not read %s; reusing it", payment.payment_intent_id)
        return False
    if status == PaymentStatus.CANCELED:
        transition(payment, PaymentStatus.CANCELED)
    return status == PaymentStatus.CANCELED


def open_payment(milestone: Milestone, *, locked: bool = False) -> StripePayment | None:
    """The milestone's latest attempt still waiting for the card (its PaymentIntent may not exist yet)."""
    stmt = (select(StripePayment).where(StripePayment.milestone_id == milestone.id, StripePayment.status.in_(OPEN))
            .order_by(StripePayment.attempt.desc()).limit(1))
    return db.session.scalar(stmt.with_for_update() if locked else stmt)


def publishable_key() -> str:
    return current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "pk_test_witkey"


def js_url() -> str:
    return current_app.config["STRIPE_JS_URL"]


def handle_event(event) -> str:
    """Apply one verified webhook event; returns what happened (for the log and the tests)."""
    if event["type"].startswith("payment_intent.") and (top_up := card_top_ups.of_intent(
            event["data"]["object"]["id"])) is not None:  # a wallet top-up by card, not a milestone
        return _top_up_event(event["type"], top_up, event["data"]["object"])
    if event["type"] == "payment_intent.succeeded":
        return _succeeded(event["data"]["object"])
    if event["type"] == "payment_intent.payment_failed":
        return _failed(event["data"]["object"])
    if event["type"] == "payment_intent.canceled":
        return _canceled(event["data"]["object"])
    if event["type"].startswith("charge.dispute."):  # a chargeback: services/chargebacks.py
        return chargebacks.handle_event(event)
    if event["type"] == "account.updated":  # a provider's Connect account gained or lost payouts
        return payout_accounts.apply_stripe_account(event["data"]["object"])
    return "ignored"


def _top_up_event(kind: str, top_up, intent) -> str:
    if kind == "payment_intent.succeeded":
        return card_top_ups.succeeded(top_up, intent)
    if kind == "payment_intent.payment_failed":
        return card_top_ups.failed(top_up)
    if kind == "payment_intent.canceled":
        return card_top_ups.canceled(top_up)
    return "ignored"


def _payment_for(intent) -> StripePayment | None:
    return db.session.scalar(select(StripePayment).where(StripePayment.payment_intent_id == intent["id"])
                             .with_for_update())


def _succeeded(intent) -> str:
    payment = _payment_for(intent)
    if payment is None:
        return "unknown_payment_intent"
    if intent["amount"] != payment.amount or intent["currency"].upper() != payment.currency:
        current_app.logger.error("PaymentIntent %s amount/currency differ from ours", intent["id"])
        return "mismatch"
    milestone = locked_get(Milestone, payment.milestone_id)
    key = f"fund:milestone:{milestone.id}"
    posted = db.session.scalar(select(LedgerPosting).where(LedgerPosting.key == key))
    if posted is not None and posted.reference == intent["id"] or payment.status == PaymentStatus.REFUNDED_DUPLICATE:
        return "duplicate"  # a replayed event
    if posted is not None or milestone.status != MilestoneStatus.PENDING:
        # Another attempt paid first, or the brand cancelled the milestone meanwhile: give it back.
        return _refund_extra_payment(payment)
    transition(payment, PaymentStatus.SUCCEEDED)
    ledger.post(key, "fund", [(ledger.clearing("stripe_clearing", payment.currency), -payment.amount),
                              (ledger.escrow(milestone), payment.amount)],
                memo=milestone.title, milestone_id=milestone.id, reference=intent["id"],
                meta={"payment_intent": intent["id"]})
    mark_funded(milestone, None, "stripe")
    processor_fees.record_fee_now_or_later(payment)  # Stripe kept its fee: a platform expense, never the brand's
    if _superseded(milestone.id).first() is not None:  # an earlier failed or open attempt: close it at Stripe
        tasks.after_commit("cancel_superseded_payments", milestone.id)
    return "funded"


def _superseded(milestone_id: int | None):
    """Attempts of funded milestones that Stripe could still charge: failed ones (the brand may retry a
    failed PaymentIntent with another card) and open ones."""
    stmt = (select(StripePayment).join(Milestone, Milestone.id == StripePayment.milestone_id)
            .where(Milestone.status != MilestoneStatus.PENDING,
                   StripePayment.status.in_((*OPEN, PaymentStatus.FAILED))))
    return db.session.scalars(stmt if milestone_id is None else stmt.where(Milestone.id == milestone_id))


def cancel_superseded(milestone_id: int | None = None) -> int:
    """Cancel at Stripe the earlier attempts of a milestone another attempt funded (all milestones when
    None: the sweep). One Stripe will not cancel (the card went through meanwhile) is left to its
    success webhook, which refunds it."""
    cancelled = 0
    for payment in _superseded(milestone_id).all():
        if payment.payment_intent_id is None:  # never handed out: nothing to cancel at Stripe
            transition(payment, PaymentStatus.CANCELED)
            cancelled += 1
            continue
        try:
            stripe_gateway.cancel_payment_intent(payment.payment_intent_id)
        except stripe.StripeError as exc:
            current_app.logger.warning("could not cancel superseded %s: %s", payment.payment_intent_id, exc)
            continue
        transition(payment, PaymentStatus.CANCELED)
        cancelled += 1
    return cancelled


def _refund_extra_payment(payment: StripePayment) -> str:
    """A payment that landed after another attempt funded the milestone, or after it was cancelled, goes
    back through the refund outbox (sent by a job once this commits), for what its charge still holds:
    a refund made from Stripe's dashboard may have taken part of it already. One Stripe then refuses (a
    chargeback, a refund meanwhile) is recorded failed with Stripe's reason for finance; this webhook
    answers 200 either way, so Stripe does not redeliver it for days. A refund made earlier under our
    key (by a delivery that crashed before committing) is what is owed, never a second one."""
    key = f"refund:extra:{payment.payment_intent_id}"
    if db.session.scalar(select(StripeRefund.id).where(StripeRefund.key == key)) is None:
        earlier = stripe_gateway.find_refund(payment.payment_intent_id, key)
        owed = StripeRefund(key=key, payment_intent_id=payment.payment_intent_id, currency=payment.currency,
                            amount=earlier.amount if earlier else stripe_gateway.refundable(payment.payment_intent_id))
        db.session.add(owed)
        if owed.amount <= 0:  # refunded in full at Stripe already: nothing is left to give back
            transition(owed, RefundStatus.FAILED)
            owed.failure = "nothing left to refund: the charge was refunded in full at Stripe"
        else:
            tasks.after_commit("send_pending_refunds")
    transition(payment, PaymentStatus.REFUNDED_DUPLICATE)
    processor_fees.record_fee_now_or_later(payment)  # the refund gives the card its money back, not Stripe's fee
    return "refunded_duplicate"


def _canceled(intent) -> str:
    payment = _payment_for(intent)
    if payment is None or payment.status not in OPEN:  # out of order: what happened since wins
        return "ignored"
    transition(payment, PaymentStatus.CANCELED)
    return "canceled"


def _failed(intent) -> str:
    payment = _payment_for(intent)
    if payment is None or payment.status not in OPEN:  # out of order: a success, refund or cancel wins
        return "ignored"
    transition(payment, PaymentStatus.FAILED)
    milestone = db.session.get(Milestone, payment.milestone_id)
    notifications.notify([milestone.contract.brand_id], "payment_failed",
                         to=destinations.milestone(milestone.contract_id, milestone.id),
                         milestone=milestone.title)
    return "failed"
