"""Provider and brand profiles."""
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from extensions import db
from models.search import SearchDocument
from models.types import UTCDateTime, utcnow

# unsubmitted: no registration number yet; pending: waiting for staff; verified / rejected: decided.
VERIFICATION_STATUSES = ("unsubmitted", "pending", "verified", "rejected")


def _one_verified_account(table: str) -> Index:
    """One company, one verified account of a kind: two providers (or two brands) can never both be
    verified with one number. A brand and a provider may: one company on both sides of the market,
    which is what keeps it from reviewing itself (services.reviews)."""
    return Index(f"uq_{table}_verified_number", "verified_registration_number", unique=True,
                 sqlite_where=db.text("verified_registration_number IS NOT NULL"),
                 postgresql_where=db.text("verified_registration_number IS NOT NULL"))


class VerificationColumns:
    """What an account submits to be verified and what staff decided (services.verification)."""

    registration_number: Mapped[str | None] = mapped_column(String(32), index=True)
    verification_status: Mapped[str] = mapped_column(String(16), default="unsubmitted", server_default="unsubmitted",
                                                     index=True)
    # Submitted with the number: the business licence's image (an Upload's stored name, private to the
    # account and staff) and the legal representative printed on it.
    licence_image: Mapped[str | None] = mapped_column(String(80))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    # What staff checked the company against, and why they decided as they did.
    verified_registration_number: Mapped[str | None] = mapped_column(String(32))
    verification_reason: Mapped[str | None] = mapped_column(Text)
    verification_decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    verification_requested_at: Mapped[object | None] = mapped_column(UTCDateTime())

    @declared_attr
    def verification_decided_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("users.id"))

    @property
    def verified(self) -> bool:
        return self.verification_status == "verified"

    @property
    def verification_rejected(self) -> bool:
        return self.verification_status == "rejected"


class ProviderProfile(VerificationColumns, SearchDocument, db.Model):
    __tablename__ = "provider_profiles"
    __table_args__ = (
        _one_verified_account("provider_profiles"),
        # the directory's best-first order, each part never null (services/directory.py BEST_FIRST)
        Index("ix_provider_profiles_best_first", text("coalesce(stars, 0)"), text("coalesce(rating_score, -1)"),
              text("(verification_status = 'verified')"), text("(-user_id)")),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str | None] = mapped_column(String(32), index=True)
    city: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    team_size: Mapped[int | None] = mapped_column()
    # The current star level (3–6) and score, written by the ratings job; None means "new provider".
    stars: Mapped[int | None] = mapped_column()
    # Not indexed: the directory orders by stars first, and an index here made every rating change
    # rewrite all the profile's index entries (no HOT update).
    rating_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # The whole-number inputs of that rating (ratings_data.counts_key): with stars and score, what a
    # recompute compares to tell whether the rating changed.
    rating_counts: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user = relationship("User", back_populates="provider_profile", foreign_keys=[user_id])
    category_rows = relationship(
        "ProviderCategory", cascade="all, delete-orphan", order_by="ProviderCategory.category"
    )
    cases = relationship("ShowcaseCase", cascade="all, delete-orphan", order_by="ShowcaseCase.id")

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]


class ProviderCategory(db.Model):
    """One row per category a provider serves (a table, so the directory can filter by index)."""

    __tablename__ = "provider_categories"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ShowcaseCase(db.Model):
    """A past result a provider shows, e.g. detail-page redesign: conversion 0.85 % → 3 %."""

    __tablename__ = "showcase_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("provider_profiles.user_id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    metric: Mapped[str] = mapped_column(String(100), default="")
    before_value: Mapped[str] = mapped_column(String(40), default="")
    after_value: Mapped[str] = mapped_column(String(40), default="")
    # The client's name only when it agreed to be named; empty: shown as "a client in <category>".
    client_brand: Mapped[str] = mapped_column(String(200), default="", server_default="")
    image_name: Mapped[str | None] = mapped_column(String(80))  # an Upload's stored name (services/portfolio.py)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class BrandProfile(VerificationColumns, db.Model):
    __tablename__ = "brand_profiles"
    __table_args__ = (_one_verified_account("brand_profiles"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    store_name: Mapped[str] = mapped_column(String(200), default="")
    size_tier: Mapped[str] = mapped_column(String(16), default="small")
    registration_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # Where the store is run from: the market insight counts brands and their tenders by province.
    province: Mapped[str | None] = mapped_column(String(32), index=True)
    city: Mapped[str | None] = mapped_column(String(64))
    # The brand score (services.brand_scores), written by the ratings job; None means "new brand".
    brand_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), index=True)
    brand_score_inputs: Mapped[dict | None] = mapped_column(JSON)  # what it came from, for its explanation
    brand_scored_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # What a provider's invoice to this brand carries (发票抬头 and 纳税人识别号)
    invoice_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    tax_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user = relationship("User", back_populates="brand_profile", foreign_keys=[user_id])
