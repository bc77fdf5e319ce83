"""Money through Stripe: the PaymentIntents that fund milestones, and the refunds owed back to cards."""
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class PaymentStatus(StrEnum):
    """A PaymentIntent's status as Stripe reports it, plus `refunded_duplicate` (ours: it paid a
    milestone that was already funded or cancelled, so it was refunded in full)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"
    REFUNDED_DUPLICATE = "refunded_duplicate"


_P = PaymentStatus
# Still waiting for the card: the intent can be reused, cancelled, or fail.
OPEN = (_P.REQUIRES_PAYMENT_METHOD, _P.REQUIRES_CONFIRMATION, _P.REQUIRES_ACTION, _P.PROCESSING)
# Stripe decides, the webhook tells: a success it reports is applied (or refunded when not needed)
# whatever the row said, because the money has moved; a failed card may be tried again and succeed.
PAYMENT_TRANSITIONS = {
    **{status: {_P.SUCCEEDED, _P.CANCELED, _P.FAILED, _P.REFUNDED_DUPLICATE} for status in OPEN},
    _P.REQUIRES_CAPTURE: {_P.SUCCEEDED, _P.CANCELED, _P.FAILED, _P.REFUNDED_DUPLICATE},
    _P.FAILED: {_P.SUCCEEDED, _P.CANCELED, _P.REFUNDED_DUPLICATE},  # cancelled once another attempt paid
    _P.CANCELED: {_P.SUCCEEDED, _P.REFUNDED_DUPLICATE},
    _P.SUCCEEDED: set(),
    _P.REFUNDED_DUPLICATE: set(),
}


class StripePayment(db.Model):
    """An attempt to fund a milestone by card: recorded (and committed) first, then its PaymentIntent
    is created at Stripe; the milestone is funded only by the intent's webhook."""

    __tablename__ = "stripe_payments"
    __table_args__ = (UniqueConstraint("milestone_id", "attempt"), status_check(PaymentStatus))
    Status, TRANSITIONS = PaymentStatus, PAYMENT_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    attempt: Mapped[int] = mapped_column()
    # None until Stripe made the PaymentIntent, which is asked for only once this row is committed
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(32), default=PaymentStatus.REQUIRES_PAYMENT_METHOD.value)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class RefundStatus(StrEnum):
    PENDING = "pending"  # owed, not sent yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # Stripe refused it (`failure` says why; finance sees it in reconciliation)


REFUND_TRANSITIONS = {
    RefundStatus.PENDING: {RefundStatus.SUCCEEDED, RefundStatus.FAILED},
    RefundStatus.SUCCEEDED: set(),
    RefundStatus.FAILED: set(),
}


class StripeRefund(db.Model):
    """A refund owed through Stripe, written with the ledger posting and sent after commit (outbox),
    so a crash between the two can be finished without refunding twice."""

    __tablename__ = "stripe_refunds"
    __table_args__ = (status_check(RefundStatus),)
    Status, TRANSITIONS = RefundStatus, REFUND_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. "refund:dispute:7"
    payment_intent_id: Mapped[str] = mapped_column(String(100), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=RefundStatus.PENDING.value, index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100))
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
