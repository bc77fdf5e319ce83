"""Bids, their revisions, milestone plans, attachments, and the brand's evaluation of them."""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.status import status_check
from models.types import StoredFileColumns, UTCDateTime, utcnow


class BidStatus(StrEnum):
    SUBMITTED = "submitted"  # live, in round `round_index`; the others are final
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    AWARDED = "awarded"


LIVE = BidStatus.SUBMITTED
# A live bid leaves the running once, and never comes back.
TRANSITIONS = {
    BidStatus.SUBMITTED: {BidStatus.REJECTED, BidStatus.WITHDRAWN, BidStatus.AWARDED},
    BidStatus.REJECTED: set(),
    BidStatus.WITHDRAWN: set(),
    BidStatus.AWARDED: set(),
}
OUT_OF_RUNNING = (BidStatus.REJECTED, BidStatus.WITHDRAWN)  # final, and not the winner


class Bid(db.Model):
    __tablename__ = "bids"
    __table_args__ = (
        # One live bid per provider per tender, enforced by the database (a partial unique index).
        Index("uq_bids_live_provider", "tender_id", "provider_id", unique=True,
              sqlite_where=db.text("status = 'submitted'"), postgresql_where=db.text("status = 'submitted'")),
        CheckConstraint("amount > 0", name="amount_positive"),
        status_check(BidStatus),
        CheckConstraint("technical_result IN ('passed', 'failed')", name="technical_result"),
    )
    Status, TRANSITIONS = BidStatus, TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=LIVE.value, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    delivery_days: Mapped[int] = mapped_column(Integer)
    proposal: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(default=1)
    round_index: Mapped[int] = mapped_column(default=0)  # which of the tender's rounds the bid is in
    reject_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())  # withdrawn, rejected or awarded
    # Two envelopes: the technical stage's verdict (models.envelope.TechnicalResult), once, with who and when.
    technical_result: Mapped[str | None] = mapped_column(String(8))
    technical_decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    technical_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Best and final offer: the round the bid was reopened in, and the revision that was its first offer.
    bafo_round_id: Mapped[int | None] = mapped_column(ForeignKey("bafo_rounds.id"), index=True)
    first_offer_revision: Mapped[int | None] = mapped_column()
    final_offer_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Metered tenders: the price of one unit and the most a period may cost (`amount` holds the cap)
    unit_price: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_period: Mapped[int | None] = mapped_column(BigInteger)

    tender = relationship("Tender", back_populates="bids")
    provider = relationship("User", foreign_keys=[provider_id])
    bafo_round = relationship("BafoRound")
    milestones = relationship("BidMilestone", cascade="all, delete-orphan", order_by="BidMilestone.position")
    revisions = relationship("BidRevision", cascade="all, delete-orphan", order_by="BidRevision.number")
    attachments = relationship("BidAttachment", cascade="all, delete-orphan", order_by="BidAttachment.id")
    scores = relationship("BidScore", cascade="all, delete-orphan", order_by="BidScore.round_index")
    slots = relationship("EvaluationSlot", cascade="all, delete-orphan", order_by="EvaluationSlot.starts_at")

    @property
    def live(self) -> bool:
        return self.status == LIVE

    @property
    def round_kind(self) -> str:
        return self.tender.rounds[self.round_index]

    @property
    def first_offer(self):
        """The revision that was the bid's offer before its best and final offer (None: never reopened)."""
        if self.first_offer_revision is None:
            return None
        return next((r for r in self.revisions if r.number == self.first_offer_revision), None)

    def score_in(self, round_index: int):
        return next((s for s in self.scores if s.round_index == round_index), None)


class BidMilestone(db.Model):
    """One step of the bid's payment plan; the amounts sum to the bid's amount."""

    __tablename__ = "bid_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    due_days: Mapped[int] = mapped_column(Integer)  # days after award


class BidRevision(db.Model):
    """A snapshot of every version the provider submitted (number 1 is the original)."""

    __tablename__ = "bid_revisions"
    __table_args__ = (UniqueConstraint("bid_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    amount: Mapped[int] = mapped_column(BigInteger)
    delivery_days: Mapped[int] = mapped_column(Integer)
    proposal: Mapped[str] = mapped_column(Text)
    milestones: Mapped[list] = mapped_column(JSON)  # [{title, amount, due_days}]
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class BidAttachment(StoredFileColumns, db.Model):
    """A file attached to a proposal, stored outside the web root and served only to those allowed."""

    __tablename__ = "bid_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class BidScore(db.Model):
    """The brand's 0–100 score of a bid in one round."""

    __tablename__ = "bid_scores"
    __table_args__ = (UniqueConstraint("bid_id", "round_index"), CheckConstraint("score BETWEEN 0 AND 100",
                                                                                 name="score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    round_index: Mapped[int] = mapped_column()
    score: Mapped[int | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EvaluationSlot(db.Model):
    """A pitch or site-visit appointment the brand schedules and the provider sees."""

    __tablename__ = "evaluation_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    round_index: Mapped[int] = mapped_column()
    starts_at: Mapped[object] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=60)
    location: Mapped[str] = mapped_column(String(500))  # an address or a meeting link
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
