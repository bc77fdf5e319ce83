"""Reviews between the parties of a contract, and the provider ratings computed from the platform's data."""
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.contest import ContestAward
from models.contract import Contract
from models.types import UTCDateTime, utcnow

SCORE_FIELDS = ("quality", "communication", "timeliness", "professionalism")
PUBLISHED_BRAND_REVIEWS = "author_role = 'brand' AND hidden_at IS NULL"


def _amount_reviewed(context) -> int:
    """The default of Review.weighing_amount: the amount of what the review is of (the contract's, or the
    contest prize's), read in the inserting transaction."""
    params = context.get_current_parameters()
    if params.get("contract_id") is not None:
        query = select(Contract.amount).where(Contract.id == params["contract_id"])
    else:
        query = select(ContestAward.amount).where(ContestAward.id == params.get("contest_award_id"))
    return context.connection.scalar(select(func.coalesce(query.scalar_subquery(), 0)))


class Review(db.Model):
    """One party's review of the other, once per contract or per contest prize (a ContestAward: the
    brand and its winner). Double-blind until both are in or the review window closes: `visible_from`
    records that moment (services.reviews keeps it)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("contract_id", "author_id"),
        UniqueConstraint("contest_award_id", "author_id"),
        # a review is of exactly one thing: a contract, or a contest prize
        CheckConstraint("(contract_id IS NULL) <> (contest_award_id IS NULL)", name="one_occasion"),
        *(CheckConstraint(f"{name} BETWEEN 1 AND 5", name=f"{name}_range") for name in SCORE_FIELDS),
        # Brands' published reviews of a provider, as the ratings and the provider page read them (on
        # PostgreSQL with every column the rating aggregate reads, so its reviews side can be index-only).
        Index("ix_reviews_published_by_subject", "subject_id", "visible_from",
              sqlite_where=db.text(PUBLISHED_BRAND_REVIEWS), postgresql_where=db.text(PUBLISHED_BRAND_REVIEWS),
              postgresql_include=["contract_id", "contest_award_id", "weighing_amount", "created_at", *SCORE_FIELDS]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    # or the contest prize it is about (the contest's brand and the winner review each other)
    contest_award_id: Mapped[int | None] = mapped_column(ForeignKey("contest_awards.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))  # "brand" reviews the provider, and vice versa
    quality: Mapped[int] = mapped_column(SmallInteger)
    communication: Mapped[int] = mapped_column(SmallInteger)
    timeliness: Mapped[int] = mapped_column(SmallInteger)
    professionalism: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    reply: Mapped[str | None] = mapped_column(Text)  # the provider's one public reply
    replied_at: Mapped[object | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[object | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the review becomes public: the moment both parties have reviewed, or else the close of the
    # review window (None while the contract has not ended). The one visibility rule (services.reviews).
    visible_from: Mapped[object | None] = mapped_column(UTCDateTime())
    # The amount a review weighs by in the provider's rating (services.ratings): its contract's amount, or
    # its contest prize's — copied here when the review is written (and kept in step when a contract's
    # amount changes: services.engagements), so the nightly aggregate over every review reads no join.
    weighing_amount: Mapped[int] = mapped_column(BigInteger, default=_amount_reviewed)

    contract = relationship("Contract")
    contest_award = relationship("ContestAward")
    author = relationship("User", foreign_keys=[author_id])
    subject = relationship("User", foreign_keys=[subject_id])

    @property
    def mean(self) -> float:
        return sum(getattr(self, name) for name in SCORE_FIELDS) / len(SCORE_FIELDS)


class ReviewReport(db.Model):
    """A user's complaint about a review, once per review and reporter. Staff close the open reports of
    a review together, hiding it or keeping it: who, when, what and why stay on each report."""

    __tablename__ = "review_reports"
    # Reporter first: it also serves "which of these has this user reported" (review_id has its own index).
    __table_args__ = (UniqueConstraint("reporter_id", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[object | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))  # "hidden" or "kept"
    handled_reason: Mapped[str | None] = mapped_column(Text)  # staff's reason, as given

    review = relationship("Review")
    reporter = relationship("User", foreign_keys=[reporter_id])


class ProviderRating(db.Model):
    """A provider's rating history as a change log: a row is written when the rating differs from the
    provider's newest row (score, stars or a whole-number input), so the newest row (highest id) is
    current and says since when it holds; inputs say what fed it. When ratings were last checked is
    kept by RatingRun."""

    __tablename__ = "provider_ratings"
    # The newest row of a provider, and its history newest first: one index descent each.
    __table_args__ = (Index("ix_provider_ratings_provider_newest", "provider_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    computed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    stars: Mapped[int | None] = mapped_column()
    service_reviews: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    operating: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    brand_development: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    growth: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)  # the counts and rates that fed each dimension
    # The whole-number inputs, space-separated in RatingInputs order (services.ratings_data.counts_key):
    # what "changed" compares besides score and stars, without parsing every row's JSON.
    input_counts: Mapped[str | None] = mapped_column(Text)

    # Not stored: when this rating was last confirmed (the later of computed_at and the last full run),
    # set by services.directory.latest_ratings.
    checked_at = None


class RatingRun(db.Model):
    """One recompute of every provider (the nightly job): the moment it rated at, how many providers
    it checked and how many ratings changed. The newest says when ratings were last checked."""

    __tablename__ = "rating_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    rated_at: Mapped[object] = mapped_column(UTCDateTime())
    providers: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)  # ratings that changed (history rows written)
    finished_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class PartnerBadge(db.Model):
    """Gold or silver partner per category per half-year (e.g. period "2026H2")."""

    __tablename__ = "partner_badges"
    __table_args__ = (UniqueConstraint("provider_id", "category", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(8), index=True)
    level: Mapped[str] = mapped_column(String(8))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    awarded_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
