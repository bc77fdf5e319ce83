"""Contests (比稿): a brand's brief with prizes funded into escrow at publish; providers submit entries;
the brand rates, shortlists and awards — or the worker splits the prize among the finalists when it
does not in time (guaranteed prizes never return to the brand once entries exist)."""
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.search import SearchDocument
from models.status import status_check
from models.types import StoredFileColumns, UTCDateTime, utcnow

VISUAL_CATEGORIES = ("photography", "design", "video")  # contests are for work that can be judged by looking
IP_TERMS = ("full_transfer", "exclusive_licence", "non_exclusive_licence")


class ContestStatus(StrEnum):
    OPEN = "open"
    SELECTING = "selecting"  # entries closed; the brand picks until the selection deadline
    AWARDED = "awarded"
    CANCELLED = "cancelled"


# The allowed moves, as data (see models.status.transition). `open` reads as `selecting` by itself
# once the entry deadline passes (as a tender's bid deadline does); storing that later is not a move.
CONTEST_TRANSITIONS = {
    ContestStatus.OPEN: {ContestStatus.SELECTING, ContestStatus.CANCELLED},
    ContestStatus.SELECTING: {ContestStatus.AWARDED, ContestStatus.CANCELLED},
    ContestStatus.AWARDED: set(),
    ContestStatus.CANCELLED: set(),
}
UNDECIDED = (ContestStatus.OPEN, ContestStatus.SELECTING)  # the prize is still in escrow


class EntryStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"  # by its provider, while the contest is open
    REMOVED = "removed"  # by staff, upheld as a copy


ENTRY_TRANSITIONS = {
    EntryStatus.ACTIVE: {EntryStatus.WITHDRAWN, EntryStatus.REMOVED},
    EntryStatus.WITHDRAWN: set(),
    EntryStatus.REMOVED: set(),
}


class Contest(SearchDocument, db.Model):
    __tablename__ = "contests"
    __table_args__ = (
        status_check(ContestStatus),
        CheckConstraint("prize_total > 0", name="prize_total_positive"),
        CheckConstraint("selection_deadline > entry_deadline", name="selection_after_entries"),
        CheckConstraint("min_stars IS NULL OR min_stars BETWEEN 3 AND 6", name="min_stars_range"),
        CheckConstraint("handover_days BETWEEN 1 AND 60", name="handover_days_range"),
    )
    Status, TRANSITIONS, STATUS_ATTR = ContestStatus, CONTEST_TRANSITIONS, "stored_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the brand organisation's principal
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    brief: Mapped[str] = mapped_column(Text)
    deliverable_spec: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    prize_total: Mapped[int] = mapped_column(BigInteger)  # the sum of the prizes: what sits in escrow
    entry_deadline: Mapped[object] = mapped_column(UTCDateTime(), index=True)
    selection_deadline: Mapped[object] = mapped_column(UTCDateTime(), index=True)
    blind: Mapped[bool] = mapped_column(default=True)  # entrants never see each other's entries
    guaranteed: Mapped[bool] = mapped_column(default=True)
    min_stars: Mapped[int | None] = mapped_column()  # 3–6; providers below (or unrated) cannot enter
    ip_terms: Mapped[str] = mapped_column(String(32), default="full_transfer")
    handover_days: Mapped[int] = mapped_column(default=7)
    # The stored status; read `status`, which also knows that a passed entry deadline means selecting.
    stored_status: Mapped[str] = mapped_column("status", String(16), default=ContestStatus.OPEN.value, index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    awarded_at: Mapped[object | None] = mapped_column(UTCDateTime())
    auto_awarded: Mapped[bool] = mapped_column(default=False, server_default=false())
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(1000))

    prizes = relationship("ContestPrize", order_by="ContestPrize.rank", cascade="all, delete-orphan")
    entries = relationship("ContestEntry", back_populates="contest", order_by="ContestEntry.id")
    awards = relationship("ContestAward", order_by="ContestAward.rank")

    @hybrid_property
    def status(self) -> str:
        if self.stored_status == ContestStatus.OPEN and self.entry_deadline <= utcnow():
            return ContestStatus.SELECTING.value
        return self.stored_status

    @status.inplace.expression
    @classmethod
    def _status_expression(cls):
        return case((and_(cls.stored_status == ContestStatus.OPEN.value, cls.entry_deadline <= utcnow()),
                     ContestStatus.SELECTING.value), else_=cls.stored_status)


class ContestPrize(db.Model):
    __tablename__ = "contest_prizes"
    __table_args__ = (UniqueConstraint("contest_id", "rank"), CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column()  # 1 = first prize
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of the contest's currency


class ContestEntry(db.Model):
    __tablename__ = "contest_entries"
    __table_args__ = (
        status_check(EntryStatus),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_contest_entries_contest_status", "contest_id", "status"),
    )
    Status, TRANSITIONS = EntryStatus, ENTRY_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the provider's principal
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.ACTIVE.value)
    rating: Mapped[int | None] = mapped_column()  # the brand's 1–5 stars
    feedback: Mapped[str | None] = mapped_column(Text)  # the brand's private word to the entrant
    shortlisted: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    revised_at: Mapped[object | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[object | None] = mapped_column(UTCDateTime())

    contest = relationship("Contest", back_populates="entries")
    # every version's files are kept, timestamped with their hashes: "who was first" stays provable
    files = relationship("ContestEntryFile", order_by="ContestEntryFile.id", cascade="all, delete-orphan")

    @property
    def current_file(self):
        return self.files[-1] if self.files else None


class ContestEntryFile(StoredFileColumns, db.Model):
    __tablename__ = "contest_entry_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class HandoverState(StrEnum):
    PENDING = "pending"  # the winner has not handed over the full-resolution files yet
    DELIVERED = "delivered"  # handed over; the brand confirms (or it confirms itself after handover_days)
    CONFIRMED = "confirmed"


HANDOVER_TRANSITIONS = {
    HandoverState.PENDING: {HandoverState.DELIVERED},
    HandoverState.DELIVERED: {HandoverState.CONFIRMED},
    HandoverState.CONFIRMED: set(),
}


class ContestAward(db.Model):
    """A prize paid to an entry, by the brand's pick or the worker's split; the handover of the
    full-resolution files follows (`handover_state`, moved by HANDOVER_TRANSITIONS)."""

    __tablename__ = "contest_awards"
    __table_args__ = (
        UniqueConstraint("contest_id", "rank"),
        UniqueConstraint("contest_id", "entry_id"),
        status_check(HandoverState, "handover_state"),
    )
    Status, TRANSITIONS, STATUS_ATTR = HandoverState, HANDOVER_TRANSITIONS, "handover_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"))
    prize_id: Mapped[int | None] = mapped_column(ForeignKey("contest_prizes.id"))  # None for a split share
    rank: Mapped[int] = mapped_column()
    amount: Mapped[int] = mapped_column(BigInteger)  # before commission
    commission: Mapped[int] = mapped_column(BigInteger)
    handover_state: Mapped[str] = mapped_column(String(16), default=HandoverState.PENDING.value)
    handover_delivered_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)
    handover_confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    handover_auto: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    entry = relationship("ContestEntry")
    contest = relationship("Contest", viewonly=True)
    handover_files = relationship("ContestHandoverFile", order_by="ContestHandoverFile.id",
                                  cascade="all, delete-orphan")

    @property
    def status(self) -> str:  # models.status reads the current state here
        return self.handover_state


class ContestHandoverFile(StoredFileColumns, db.Model):
    """A full-resolution source file the winner handed over (the brand downloads it as it is)."""

    __tablename__ = "contest_handover_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("contest_awards.id", ondelete="CASCADE"), index=True)
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class ReportStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the entry is removed and its provider gets a strike
    DISMISSED = "dismissed"


REPORT_TRANSITIONS = {
    ReportStatus.OPEN: {ReportStatus.UPHELD, ReportStatus.DISMISSED},
    ReportStatus.UPHELD: set(),
    ReportStatus.DISMISSED: set(),
}


class ContestReport(db.Model):
    """An entry reported as a copy of another; staff decide (removal and a strike, or dismissal)."""

    __tablename__ = "contest_reports"
    __table_args__ = (status_check(ReportStatus),)
    Status, TRANSITIONS = ReportStatus, REPORT_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"), index=True)
    original_entry_id: Mapped[int | None] = mapped_column(ForeignKey("contest_entries.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.OPEN.value)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())


class PurchaseStatus(StrEnum):
    OFFERED = "offered"  # the brand offers to buy a non-winning entry; the entrant answers
    ACCEPTED = "accepted"  # a one-milestone contract, funded from the brand's wallet in the same posting
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the brand, while offered
    EXPIRED = "expired"  # left unanswered (services.contest_purchases.OFFER_DAYS)


PURCHASE_TRANSITIONS = {
    PurchaseStatus.OFFERED: {PurchaseStatus.ACCEPTED, PurchaseStatus.DECLINED, PurchaseStatus.WITHDRAWN,
                             PurchaseStatus.EXPIRED},
    PurchaseStatus.ACCEPTED: set(),
    PurchaseStatus.DECLINED: set(),
    PurchaseStatus.WITHDRAWN: set(),
    PurchaseStatus.EXPIRED: set(),
}


class ContestPurchase(db.Model):
    """The brand's offer to buy an entry that won no prize, at a price its entrant accepts; accepted, it
    becomes a one-milestone contract (Contract.contest_entry_id). At most one open offer per entry (a
    partial unique index), and an entry is bought at most once (the contract's unique entry)."""

    __tablename__ = "contest_purchases"
    __table_args__ = (
        status_check(PurchaseStatus),
        CheckConstraint("price > 0", name="price_positive"),
        Index("uq_contest_purchases_open_entry", "entry_id", unique=True,
              postgresql_where=text("status = 'offered'"), sqlite_where=text("status = 'offered'")),
    )
    Status, TRANSITIONS = PurchaseStatus, PURCHASE_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the contest's brand (principal)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the entrant (principal)
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    price: Mapped[int] = mapped_column(BigInteger)  # minor units of the contest's currency
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=PurchaseStatus.OFFERED.value)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), unique=True)

    contest = relationship("Contest", viewonly=True)
    entry = relationship("ContestEntry")
    contract = relationship("Contract")
