"""Sending the Stripe refunds that services owe (StripeRefund rows, the outbox written with the
decision or correction that owes them). Runs in a worker after such a commit and on a sweep; commits
each refund on its own."""
import stripe
from flask import current_app
from sqlalchemy import select

from extensions import db
from models import StripeRefund
from models.status import transition
from models.stripe import RefundStatus
from services import stripe_gateway
from services.locking import locked_get


def send_pending_refunds() -> int:
    """Send every owed Stripe refund once. Before sending, look on Stripe for one already made
    for the same key (a crash after Stripe answered), so a retry never refunds twice. Each refund
    stands alone: one Stripe refuses is marked failed (reconciliation lists it for finance), one that
    hit a network or Stripe outage stays pending for the next sweep, and the others are still sent."""
    sent = 0
    pending = db.session.scalars(select(StripeRefund.id).where(StripeRefund.status == RefundStatus.PENDING)).all()
    for refund_id in pending:
        refund = locked_get(StripeRefund, refund_id)
        if refund.status != RefundStatus.PENDING:
            continue
        try:
            existing = stripe_gateway.find_refund(refund.payment_intent_id, refund.key)
            made = existing or stripe_gateway.refund(payment_intent_id=refund.payment_intent_id, amount=refund.amount,
                                                     idempotency_key=refund.key, metadata={"witkey_key": refund.key})
        except (stripe.InvalidRequestError, stripe.PermissionError) as exc:  # refused: retrying cannot help
            transition(refund, RefundStatus.FAILED)
            refund.failure = exc.user_message or str(exc)
        except stripe.StripeError:
            current_app.logger.exception("refund %s not sent; the sweep retries it", refund.key)
            db.session.rollback()
            continue
        else:
            transition(refund, RefundStatus.SUCCEEDED)
            refund.stripe_refund_id = made.id
            sent += existing is None
        db.session.commit()
    return sent
