"""Disputes over a milestone: evidence from both sides, staff decision, and the audit trail."""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.status import status_check
from models.types import StoredFileColumns, UTCDateTime, utcnow

# a party's reasons (kpi_figures: a provider contesting a period's KPI figures, services/kpi_import.py)
DISPUTE_REASONS = ("not_delivered", "quality", "scope_change", "late", "unresponsive", "kpi_figures", "other")
# Reasons only staff open a dispute for: the milestone goes before the dispute decision because of the
# platform, not a party (services.suspensions: a suspended account's money in escrow is settled this way).
STAFF_DISPUTE_REASONS = ("account_suspended",)
ALL_DISPUTE_REASONS = DISPUTE_REASONS + STAFF_DISPUTE_REASONS


class DisputeStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # decided by staff
    WITHDRAWN = "withdrawn"  # dropped by the side that opened it


# open → withdrawn or resolved, once.
TRANSITIONS = {
    DisputeStatus.OPEN: {DisputeStatus.RESOLVED, DisputeStatus.WITHDRAWN},
    DisputeStatus.RESOLVED: set(),
    DisputeStatus.WITHDRAWN: set(),
}


class Dispute(db.Model):
    __tablename__ = "disputes"
    __table_args__ = (
        # One open dispute per milestone, enforced by the database.
        Index("uq_disputes_open_milestone", "milestone_id", unique=True,
              sqlite_where=db.text("status = 'open'"), postgresql_where=db.text("status = 'open'")),
        status_check(DisputeStatus),
    )
    Status, TRANSITIONS = DisputeStatus, TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id"), index=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(24))
    statement: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.OPEN.value, index=True)
    # Where the milestone was, so a withdrawal can put it back.
    previous_status: Mapped[str] = mapped_column(String(24))
    response_deadline: Mapped[object] = mapped_column(UTCDateTime())
    opened_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # The decision; never changed once posted (corrections are separate adjustments).
    provider_amount: Mapped[int | None] = mapped_column(BigInteger)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    milestone = relationship("Milestone", back_populates="disputes")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    evidence = relationship("DisputeEvidence", order_by="DisputeEvidence.id", cascade="all, delete-orphan")
    events = relationship("DisputeEvent", order_by="DisputeEvent.id", cascade="all, delete-orphan")
    corrections = relationship("DisputeCorrection", order_by="DisputeCorrection.id", cascade="all, delete-orphan",
                               back_populates="dispute")

    @property
    def is_open(self) -> bool:
        return self.status == DisputeStatus.OPEN

    @property
    def is_decided(self) -> bool:
        return self.status == DisputeStatus.RESOLVED


class DisputeEvidence(db.Model):
    __tablename__ = "dispute_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    author = relationship("User")
    files = relationship("EvidenceFile", cascade="all, delete-orphan", order_by="EvidenceFile.id")


class EvidenceFile(StoredFileColumns, db.Model):
    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("dispute_evidence.id", ondelete="CASCADE"), index=True)


class DisputeEvent(db.Model):
    """The audit trail: every action on a dispute, who and when. Append-only."""

    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    actor = relationship("User")



class CorrectionStatus(StrEnum):
    PENDING = "pending"  # proposed above the approval threshold: waits for a second staff member
    APPLIED = "applied"  # the money moved (at once below the threshold, or on approval)
    REJECTED = "rejected"  # refused by staff; nothing moved


# pending → applied or rejected, once; a correction applied at once is created applied.
CORRECTION_TRANSITIONS = {
    CorrectionStatus.PENDING: {CorrectionStatus.APPLIED, CorrectionStatus.REJECTED},
    CorrectionStatus.APPLIED: set(),
    CorrectionStatus.REJECTED: set(),
}
CORRECTION_DIRECTIONS = ("to_brand", "to_provider")


class DisputeCorrection(db.Model):
    """A staff correction of a decided dispute: who proposed it and who approved (or rejected) it, and
    the ledger posting it produced. Above CORRECTION_APPROVAL_THRESHOLD it waits, pending, for a
    second staff member (four eyes); at or below it, proposer and approver are the same person."""

    __tablename__ = "dispute_corrections"
    __table_args__ = (
        # At most one proposal waits per dispute, so approvals never race each other for the same share.
        Index("uq_dispute_corrections_pending", "dispute_id", unique=True,
              sqlite_where=db.text("status = 'pending'"), postgresql_where=db.text("status = 'pending'")),
        status_check(CorrectionStatus),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("direction IN ('to_brand', 'to_provider')", name="direction"),
    )
    Status, TRANSITIONS = CorrectionStatus, CORRECTION_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CorrectionStatus.PENDING.value, index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_postings.id"))

    dispute = relationship("Dispute", back_populates="corrections")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    posting = relationship("LedgerPosting")

    @property
    def is_pending(self) -> bool:
        return self.status == CorrectionStatus.PENDING

    @property
    def is_applied(self) -> bool:
        return self.status == CorrectionStatus.APPLIED

    @property
    def is_rejected(self) -> bool:
        return self.status == CorrectionStatus.REJECTED
