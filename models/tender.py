"""Tenders: what a brand puts out to bid, with its evaluation rounds and KPI targets."""
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    and_,
    case,
    false,
    or_,
)
from sqlalchemy.ext.hybrid import Comparator, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import operators

from extensions import db
from models.engagement import Engagement, engagement_check
from models.search import SearchDocument
from models.status import status_check
from models.types import UTCDateTime, utcnow


class TenderStatus(StrEnum):
    OPEN = "open"
    EVALUATING = "evaluating"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class _StatusComparator(Comparator):
    """`Tender.status` in SQL: the stored status, except that an open tender past its deadline is evaluating
    (a CASE). `Tender.status == <a status>` is written as conditions on the stored columns instead — equal
    rows, but the status and deadline indexes and the planner's statistics serve them, where a CASE would
    make PostgreSQL scan and sort every tender for the open list."""

    def __init__(self, cls):
        now = utcnow()
        super().__init__(case((and_(cls.stored_status == TenderStatus.OPEN.value, cls.bid_deadline <= now),
                               TenderStatus.EVALUATING.value), else_=cls.stored_status))
        self.cls, self.now = cls, now

    def operate(self, op, *other, **kwargs):
        if op is operators.eq and len(other) == 1 and isinstance(other[0], str):
            stored, deadline, value = self.cls.stored_status, self.cls.bid_deadline, str(other[0])
            if value == TenderStatus.OPEN:
                return and_(stored == value, deadline > self.now)
            if value == TenderStatus.EVALUATING:
                return or_(stored == value, and_(stored == TenderStatus.OPEN.value, deadline <= self.now))
            return stored == value
        return op(self.expression, *other, **kwargs)

    def reverse_operate(self, op, other, **kwargs):
        return op(other, self.expression, **kwargs)


# The allowed moves, as data (see models.status.transition). `open` becomes `evaluating` by itself
# once the deadline passes; storing that later is not a move.
TRANSITIONS = {
    TenderStatus.OPEN: {TenderStatus.EVALUATING, TenderStatus.CANCELLED},
    TenderStatus.EVALUATING: {TenderStatus.AWARDED, TenderStatus.CANCELLED},
    TenderStatus.AWARDED: set(),
    TenderStatus.CANCELLED: set(),
}
UNDECIDED = (TenderStatus.OPEN, TenderStatus.EVALUATING)  # not awarded or cancelled yet


# what every public list of tenders filters on besides its order: the brand (suspended brands' tenders leave
# the lists) and whether the tender is invited-only (services/tenders.py search_tenders)
LISTED_WITH = ["brand_id", "invited_only"]


class Tender(SearchDocument, db.Model):
    __tablename__ = "tenders"
    __table_args__ = (
        CheckConstraint("budget_min >= 0 AND budget_max >= budget_min", name="budget_range"),
        status_check(TenderStatus),
        engagement_check(),
        CheckConstraint("period_days IS NULL OR period_days BETWEEN 7 AND 92", name="period_days_range"),
        CheckConstraint("periods IS NULL OR periods BETWEEN 1 AND 36", name="periods_range"),
        # the hall's newest-first order, with and without a category (services/tenders.py NEWEST_FIRST); on
        # PostgreSQL they carry the columns every public list filters on, so that the list's capped count
        # (services/pagination.py) is an index-only scan of COUNT_CAP entries, at any table size
        Index("ix_tenders_created_at_id", "created_at", "id", postgresql_include=LISTED_WITH),
        Index("ix_tenders_category_created_at_id", "category", "created_at", "id", postgresql_include=LISTED_WITH),
    )
    Status, TRANSITIONS, STATUS_ATTR = TenderStatus, TRANSITIONS, "stored_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    budget_min: Mapped[int] = mapped_column(BigInteger)
    budget_max: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bid_deadline: Mapped[object] = mapped_column(UTCDateTime(), index=True)
    sealed: Mapped[bool] = mapped_column(default=False)
    # Procurement-style opening: until bidding closes even the brand sees only that bids exist.
    sealed_opening: Mapped[bool] = mapped_column(default=False, server_default=false())
    invited_only: Mapped[bool] = mapped_column(default=False, server_default=false())  # unlisted; only invitees may bid
    requires_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Scorecards: evaluators who are not the tender's owner or procurement grade without providers' names.
    blind_grading: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Two envelopes: technical offers open (and pass or fail) before any price does (models.envelope).
    two_envelope: Mapped[bool] = mapped_column(default=False, server_default=false())
    min_stars: Mapped[int | None] = mapped_column()  # 3–6; providers below (or unrated) cannot bid
    # minor units of services.margins.MARGIN_CURRENCY a bidder must hold as margin (the category may ask less)
    margin_required: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rounds: Mapped[list] = mapped_column(JSON)  # e.g. ["proposal", "pitch", "site_visit"]
    # The stored status; read `status`, which also knows that a passed deadline means evaluating.
    stored_status: Mapped[str] = mapped_column("status", String(16), default=TenderStatus.OPEN.value,
                                               index=True)
    current_round: Mapped[int | None] = mapped_column()  # index into `rounds` once evaluating
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # How the contract will be paid (models.engagement): fixed milestones, or period by period
    engagement: Mapped[str] = mapped_column(String(16), default=Engagement.FIXED.value,
                                            server_default=Engagement.FIXED.value)
    period_days: Mapped[int | None] = mapped_column()  # retainer and metered: 7–92
    periods: Mapped[int | None] = mapped_column()  # retainer and metered: 1–36
    unit: Mapped[str | None] = mapped_column(String(40))  # metered: what is counted ("photo", "conversation")

    brand = relationship("User")
    kpis = relationship("TenderKpi", cascade="all, delete-orphan", order_by="TenderKpi.position")
    bids = relationship("Bid", back_populates="tender", order_by="Bid.id")
    questions = relationship("TenderQuestion", order_by="TenderQuestion.id", cascade="all, delete-orphan")
    addenda = relationship("TenderAddendum", order_by="TenderAddendum.id", cascade="all, delete-orphan")
    invitations = relationship("TenderInvitation", back_populates="tender", cascade="all, delete-orphan")
    criteria = relationship("TenderCriterion", cascade="all, delete-orphan",
                            order_by="[TenderCriterion.round_index, TenderCriterion.position]")
    panel = relationship("PanelMember", cascade="all, delete-orphan", order_by="PanelMember.id")
    envelopes = relationship("TenderEnvelopes", uselist=False, cascade="all, delete-orphan")
    bafo_rounds = relationship("BafoRound", cascade="all, delete-orphan", order_by="BafoRound.id")

    @hybrid_property
    def status(self) -> str:
        if self.stored_status == TenderStatus.OPEN and self.bid_deadline <= utcnow():
            return TenderStatus.EVALUATING.value
        return self.stored_status

    @status.inplace.comparator
    @classmethod
    def _status_comparator(cls):
        return _StatusComparator(cls)

    @property
    def current_round_kind(self) -> str | None:
        if self.status != TenderStatus.EVALUATING:
            return None
        return self.rounds[self.current_round or 0]

    @property
    def last_round(self) -> int:
        return len(self.rounds) - 1

    @property
    def stage(self) -> int | None:
        """Where the tender stands as a step of open for bids (0) → each evaluation round (1…) → awarded
        (the last): the tender page's stepper. None once cancelled."""
        if self.status == TenderStatus.CANCELLED:
            return None
        if self.status == TenderStatus.AWARDED:
            return len(self.rounds) + 1
        return 0 if self.status == TenderStatus.OPEN else 1 + (self.current_round or 0)

    @property
    def technical_sealed(self) -> bool:
        """A two-envelope tender whose technical envelopes are not open yet: nobody evaluates anything."""
        return bool(self.two_envelope) and not self.envelopes.technical_open

    @property
    def open_bafo(self):
        """The best-and-final-offer round still taking offers, if any."""
        return next((r for r in self.bafo_rounds if r.open), None)

    @property
    def bids_are_hidden_from_brand(self) -> bool:
        """Sealed opening: amounts and proposals stay closed until bidding ends."""
        return self.sealed_opening and self.status == TenderStatus.OPEN


class TenderKpi(db.Model):
    """A KPI target the contract will be judged by, e.g. first-response time 30 s."""

    __tablename__ = "tender_kpis"
    __table_args__ = (CheckConstraint("bonus_bps BETWEEN 0 AND 3000", name="bonus_bps_range"),
                      CheckConstraint("penalty_bps BETWEEN 0 AND 3000", name="penalty_bps_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    target: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit: Mapped[str] = mapped_column(String(20), default="")
    # "at_least" (conversion 52 %) or "at_most" (first-response time 30 s): when a result meets the target
    direction: Mapped[str] = mapped_column(String(8), default="at_least", server_default="at_least")
    # KPI terms, in basis points of the period's base: paid on top when met, withheld when missed
    bonus_bps: Mapped[int] = mapped_column(default=0, server_default="0")
    penalty_bps: Mapped[int] = mapped_column(default=0, server_default="0")

    def met_by(self, value: Decimal) -> bool:
        return value <= self.target if self.direction == "at_most" else value >= self.target
