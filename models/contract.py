"""Contracts: what an award creates, with the milestones copied from the awarded bid's plan — or the
one milestone of a contest entry the brand bought (services/contest_purchases.py)."""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.dispute import DisputeStatus
from models.engagement import Engagement, engagement_check
from models.status import status_check
from models.types import UTCDateTime, utcnow


class ContractStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # every milestone settled, and some work was paid for
    CANCELLED = "cancelled"  # every milestone was dropped unfunded


CONTRACT_TRANSITIONS = {
    ContractStatus.ACTIVE: {ContractStatus.COMPLETED, ContractStatus.CANCELLED},
    ContractStatus.COMPLETED: set(),
    ContractStatus.CANCELLED: set(),
}


class MilestoneStatus(StrEnum):
    PENDING = "pending"
    FUNDED = "funded"
    DELIVERED = "delivered"
    CHANGES_REQUESTED = "changes_requested"
    RELEASED = "released"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    CHARGED_BACK = "charged_back"  # the card payment was charged back while in escrow: frozen (services.chargebacks)


_M = MilestoneStatus
# The allowed moves, as data; services.escrow is the only place that changes a milestone's status.
MILESTONE_TRANSITIONS = {
    _M.PENDING: {_M.FUNDED, _M.CANCELLED},
    _M.FUNDED: {_M.DELIVERED, _M.DISPUTED, _M.CHARGED_BACK},
    _M.DELIVERED: {_M.CHANGES_REQUESTED, _M.RELEASED, _M.DISPUTED, _M.CHARGED_BACK},
    _M.CHANGES_REQUESTED: {_M.DELIVERED, _M.DISPUTED, _M.CHARGED_BACK},
    _M.DISPUTED: {_M.RESOLVED, _M.CHARGED_BACK},  # decided by staff
    _M.CHARGED_BACK: {_M.RESOLVED},  # the chargeback was lost: settled, the card holder has the money back
    _M.RELEASED: set(),
    _M.RESOLVED: set(),
    _M.CANCELLED: set(),
}
# Moves that undo an earlier one, made only as an undo: a dispute its opener withdrew puts the
# milestone back where it was (Dispute.previous_status) — never a way to deliver a disputed milestone.
MILESTONE_UNDO = {_M.DISPUTED: {_M.FUNDED, _M.DELIVERED, _M.CHANGES_REQUESTED},
                  # a chargeback won (or an inquiry closed) puts the milestone back, its escrow refilled
                  _M.CHARGED_BACK: {_M.FUNDED, _M.DELIVERED, _M.CHANGES_REQUESTED, _M.DISPUTED}}
# Named subsets, defined here once.
SETTLED = (_M.RELEASED, _M.RESOLVED, _M.CANCELLED)  # a contract completes when every milestone is one of these
DISPUTABLE = (_M.FUNDED, _M.DELIVERED, _M.CHANGES_REQUESTED)  # funded and not settled: a dispute may freeze it
HELD = (*DISPUTABLE, _M.DISPUTED)  # its money sits in escrow (every other status holds nothing there)
MEASURABLE = (*HELD, _M.RELEASED, _M.RESOLVED)  # work started, so a KPI result can be recorded for it
FINISHED = (_M.RELEASED, _M.RESOLVED)  # settled with its work paid for or decided (not dropped)


class Contract(db.Model):
    __tablename__ = "contracts"
    __table_args__ = (
        status_check(ContractStatus), engagement_check(),
        # what the contract is for: a tender's awarded bid, or a contest entry the brand bought
        CheckConstraint("(tender_id IS NULL) = (bid_id IS NULL) AND (tender_id IS NULL) <> (contest_entry_id IS NULL)",
                        name="one_subject"),
    )
    Status, TRANSITIONS = ContractStatus, CONTRACT_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    # unique: exactly one award per tender, ever — the database refuses a second contract.
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id"), unique=True)
    bid_id: Mapped[int | None] = mapped_column(ForeignKey("bids.id"), unique=True)
    # unique: an entry is bought at most once
    contest_entry_id: Mapped[int | None] = mapped_column(ForeignKey("contest_entries.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")  # the tender's or contest's
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default=ContractStatus.ACTIVE.value, index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime())  # starts the 14-day review window
    # Ongoing engagements (services/engagements.py); fixed contracts leave these at their defaults
    engagement: Mapped[str] = mapped_column(String(16), default=Engagement.FIXED.value,
                                            server_default=Engagement.FIXED.value)
    unit_price: Mapped[int | None] = mapped_column(BigInteger)  # metered
    auto_fund: Mapped[bool] = mapped_column(default=False, server_default=false())  # periods funded from the wallet
    ends_after_period: Mapped[int | None] = mapped_column()  # notice given: no period after this index runs
    # A pending request awaiting the other party: "brand"/"provider" asked to end now; the brand's
    # proposed number of periods (services/engagements.py)
    end_now_asked_by: Mapped[str | None] = mapped_column(String(8))
    periods_proposed: Mapped[int | None] = mapped_column()

    tender = relationship("Tender")
    bid = relationship("Bid")
    contest_entry = relationship("ContestEntry")
    brand = relationship("User", foreign_keys=[brand_id])
    provider = relationship("User", foreign_keys=[provider_id])
    milestones = relationship("Milestone", back_populates="contract", cascade="all, delete-orphan",
                              order_by="Milestone.position")

    @property
    def kpis(self) -> list:
        """The KPI terms the contract carries: its tender's (a bought contest entry has none)."""
        return self.tender.kpis if self.tender is not None else []

    @property
    def milestones_done(self) -> int:
        """Milestones (or periods) whose money is settled: released, or decided after a dispute."""
        return sum(m.status in (MilestoneStatus.RELEASED, MilestoneStatus.RESOLVED) for m in self.milestones)

    @property
    def released_total(self) -> int:
        """Money released to the provider so far (gross, before commission), in the contract's currency."""
        return sum(m.released_amount or 0 for m in self.milestones)

    @property
    def planned_total(self) -> int:
        return sum(m.amount for m in self.milestones)

    @property
    def nothing_paid(self) -> bool:
        """Ended with every milestone dropped unfunded: no money moved, so it takes no reviews."""
        return self.status == ContractStatus.CANCELLED


class Milestone(db.Model):
    __tablename__ = "milestones"
    __table_args__ = (status_check(MilestoneStatus),)
    Status, TRANSITIONS, UNDO = MilestoneStatus, MILESTONE_TRANSITIONS, MILESTONE_UNDO

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default=MilestoneStatus.PENDING.value, index=True)
    due_at: Mapped[object] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    funded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)  # the auto-release clock
    released_at: Mapped[object | None] = mapped_column(UTCDateTime())
    release_reminder_sent_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Periods of a retainer or metered contract (null for fixed milestones). `amount` is what the
    # period is funded with: its base (fee, or cap) plus the most its KPI bonuses can add.
    period_index: Mapped[int | None] = mapped_column()
    starts_at: Mapped[object | None] = mapped_column(UTCDateTime())
    base_amount: Mapped[int | None] = mapped_column(BigInteger)  # fee per period, or the metered cap
    funded_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    released_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # to the provider, gross
    funding_reminder_sent_at: Mapped[object | None] = mapped_column(UTCDateTime())
    start_notice_sent_at: Mapped[object | None] = mapped_column(UTCDateTime())  # opened, or told it cannot start

    contract = relationship("Contract", back_populates="milestones")
    deliveries = relationship("MilestoneDelivery", order_by="MilestoneDelivery.version",
                              cascade="all, delete-orphan")
    events = relationship("MilestoneEvent", order_by="MilestoneEvent.id", cascade="all, delete-orphan")
    disputes = relationship("Dispute", back_populates="milestone", order_by="Dispute.id")

    @property
    def open_dispute(self):
        """The dispute freezing this milestone now, if any (at most one is open)."""
        return next((d for d in self.disputes if d.status == DisputeStatus.OPEN), None)

    @property
    def closed_disputes(self) -> list:
        return [d for d in self.disputes if d.status != DisputeStatus.OPEN]
