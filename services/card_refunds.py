"""Money a card paid goes back to that card, never to the wallet: a wallet balance can be withdrawn to
a bank account, and a card payment can still be charged back afterwards — the platform would pay twice.
Escrow releases (the unused part of a metered or KPI-linked period), dispute decisions and corrections
all return a card-paid milestone's money through here."""
from sqlalchemy import select

from extensions import db
from models import Milestone, StripePayment, StripeRefund
from models.stripe import PaymentStatus, RefundStatus
from services import ledger, tasks


def card_payment_of(milestone: Milestone) -> StripePayment | None:
    """The card payment that funded the milestone, if it was funded by card."""
    return db.session.scalar(select(StripePayment).where(StripePayment.milestone_id == milestone.id,
                                                         StripePayment.status == PaymentStatus.SUCCEEDED))


def brand_side(milestone: Milestone, card: StripePayment | None):
    """The ledger account the brand's share goes to: Stripe clearing (then refunded) for a card payment,
    the brand's wallet otherwise."""
    if card is not None:
        return ledger.clearing("stripe_clearing", milestone.currency)
    return ledger.wallet(milestone.contract.brand, milestone.currency)


def owe_refund(card: StripePayment, key: str, amount: int) -> None:
    """Owe a refund of the card payment (the outbox row, sent by a job after this commits)."""
    db.session.add(StripeRefund(key=key, payment_intent_id=card.payment_intent_id, amount=amount,
                                currency=card.currency, status=RefundStatus.PENDING.value))
    tasks.after_commit("send_pending_refunds")
