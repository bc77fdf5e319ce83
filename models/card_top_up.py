"""A brand tops up its wallet by card (issue 18): one row per attempt, recorded (and committed) before
its PaymentIntent is made at Stripe under the key `topup:<id>`; the wallet is credited only by the
intent's signed `payment_intent.succeeded` webhook, once (posting `topup:<id>`)."""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class TopUpStatus(StrEnum):
    OPEN = "open"  # waiting for the card
    SUCCEEDED = "succeeded"  # credited to the wallet
    FAILED = "failed"  # the card was declined (the brand may try the same intent again)
    CANCELED = "canceled"


TOP_UP_TRANSITIONS = {
    TopUpStatus.OPEN: {TopUpStatus.SUCCEEDED, TopUpStatus.FAILED, TopUpStatus.CANCELED},
    TopUpStatus.FAILED: {TopUpStatus.SUCCEEDED, TopUpStatus.CANCELED},
    TopUpStatus.SUCCEEDED: set(),
    # The card paid after all (the cancel lost a race with the payment at Stripe): the money arrived and
    # a wallet can always take it, so it is credited rather than refused on every webhook retry.
    TopUpStatus.CANCELED: {TopUpStatus.SUCCEEDED},
}


class CardTopUp(db.Model):
    __tablename__ = "card_top_ups"
    __table_args__ = (status_check(TopUpStatus), CheckConstraint("amount > 0", name="amount_positive"))
    Status, TRANSITIONS = TopUpStatus, TOP_UP_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the organisation's principal
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=TopUpStatus.OPEN.value)
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def milestone_id(self) -> None:
        """A top-up funds no milestone (services.processor_fees posts its charge's fee with this)."""
        return None
