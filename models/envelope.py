"""Two-envelope tenders (issue 15): the staged opening of a tender's bids, and best-and-final offers.

A two-envelope tender's bids carry a technical envelope (proposal, delivery time, the plan's steps,
files) and a price envelope (the total and the plan's amounts). `TenderEnvelopes.status` is the stage
the tender's opening has reached; each opening is recorded (when, by whom) and shown to every bidder.
An opened envelope cannot be resealed: the stages only move forward (TRANSITIONS)."""
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class EnvelopeStage(StrEnum):
    SEALED = "sealed"  # nothing opened: bidding may be open or just closed
    TECHNICAL = "technical"  # technical envelopes open to the brand; prices stay sealed
    PRICE = "price"  # price envelopes open too


TRANSITIONS = {
    EnvelopeStage.SEALED: {EnvelopeStage.TECHNICAL},
    EnvelopeStage.TECHNICAL: {EnvelopeStage.PRICE},
    EnvelopeStage.PRICE: set(),
}


class TechnicalResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class TenderEnvelopes(db.Model):
    """One row per two-envelope tender, made with it."""

    __tablename__ = "tender_envelopes"
    __table_args__ = (
        status_check(EnvelopeStage),
        # the stage and its records agree: an opening always says when and by whom
        CheckConstraint("(status = 'sealed') = (technical_opened_at IS NULL)", name="technical_recorded"),
        CheckConstraint("(status = 'price') = (price_opened_at IS NOT NULL)", name="price_recorded"),
    )
    Status, TRANSITIONS = EnvelopeStage, TRANSITIONS

    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=EnvelopeStage.SEALED.value)
    technical_opened_at: Mapped[object | None] = mapped_column(UTCDateTime())
    technical_opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    price_opened_at: Mapped[object | None] = mapped_column(UTCDateTime())
    price_opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    technical_opened_by = relationship("User", foreign_keys=[technical_opened_by_id])
    price_opened_by = relationship("User", foreign_keys=[price_opened_by_id])

    @property
    def technical_open(self) -> bool:
        return self.status != EnvelopeStage.SEALED

    @property
    def price_open(self) -> bool:
        return self.status == EnvelopeStage.PRICE


class BafoRound(db.Model):
    """A best-and-final-offer round: who reopened which bids, when, and until when offers are taken."""

    __tablename__ = "bafo_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closes_at: Mapped[object] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    opened_by = relationship("User")

    @property
    def open(self) -> bool:
        return utcnow() < self.closes_at
