"""Contracts: what an award creates, with the milestones copied from the awarded bid's plan."""
from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

CONTRACT_STATUSES = ("active", "completed", "cancelled")
MILESTONE_STATUSES = ("pending", "funded", "delivered", "changes_requested", "released", "disputed",
                      "resolved", "cancelled")
# The allowed moves, as data; services.escrow is the only place that changes a milestone's status.
MILESTONE_TRANSITIONS = {
    "pending": {"funded", "cancelled"},
    "funded": {"delivered", "disputed"},
    "delivered": {"changes_requested", "released", "disputed"},
    "changes_requested": {"delivered", "disputed"},
    # decided by staff; a withdrawn dispute restores the earlier state through escrow.restore_after_dispute
    "disputed": {"resolved"},
    "released": set(),
    "resolved": set(),
    "cancelled": set(),
}
SETTLED = ("released", "resolved", "cancelled")  # a contract completes when every milestone is one of these


class Contract(db.Model):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # unique: exactly one award per tender, ever — the database refuses a second contract.
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id"), unique=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"), unique=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime())  # starts the 14-day review window

    tender = relationship("Tender")
    bid = relationship("Bid")
    brand = relationship("User", foreign_keys=[brand_id])
    provider = relationship("User", foreign_keys=[provider_id])
    milestones = relationship("Milestone", back_populates="contract", cascade="all, delete-orphan",
                              order_by="Milestone.position")


class Milestone(db.Model):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="pending", index=True)
    due_at: Mapped[object] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    funded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)  # the auto-release clock
    released_at: Mapped[object | None] = mapped_column(UTCDateTime())
    release_reminder_sent_at: Mapped[object | None] = mapped_column(UTCDateTime())

    contract = relationship("Contract", back_populates="milestones")
    deliveries = relationship("MilestoneDelivery", order_by="MilestoneDelivery.version",
                              cascade="all, delete-orphan")
    events = relationship("MilestoneEvent", order_by="MilestoneEvent.id", cascade="all, delete-orphan")
    disputes = relationship("Dispute", back_populates="milestone", order_by="Dispute.id")

    def can_move_to(self, status: str) -> bool:
        return status in MILESTONE_TRANSITIONS[self.status]
