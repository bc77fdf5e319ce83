"""Provider and brand profiles."""
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

# unsubmitted: no registration number yet; pending: waiting for staff; verified / rejected: decided.
VERIFICATION_STATUSES = ("unsubmitted", "pending", "verified", "rejected")


class ProviderProfile(db.Model):
    __tablename__ = "provider_profiles"
    __table_args__ = (
        # One company, one verified account: two providers can never both be verified with one number.
        Index("uq_provider_profiles_verified_number", "verified_registration_number", unique=True,
              sqlite_where=db.text("verified_registration_number IS NOT NULL"),
              postgresql_where=db.text("verified_registration_number IS NOT NULL")),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str | None] = mapped_column(String(32), index=True)
    city: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    team_size: Mapped[int | None] = mapped_column()
    registration_number: Mapped[str | None] = mapped_column(String(32), index=True)
    verification_status: Mapped[str] = mapped_column(String(16), default="unsubmitted", index=True)
    # What staff checked the company against, and why they decided as they did.
    verified_registration_number: Mapped[str | None] = mapped_column(String(32))
    verification_reason: Mapped[str | None] = mapped_column(Text)
    verification_decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    verification_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verification_requested_at: Mapped[object | None] = mapped_column(UTCDateTime())
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

    @property
    def verified(self) -> bool:
        return self.verification_status == "verified"

    @property
    def verification_rejected(self) -> bool:
        return self.verification_status == "rejected"


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


class BrandProfile(db.Model):
    __tablename__ = "brand_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    store_name: Mapped[str] = mapped_column(String(200), default="")
    size_tier: Mapped[str] = mapped_column(String(16), default="small")
    registration_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # What a provider's invoice to this brand carries (发票抬头 and 纳税人识别号)
    invoice_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    tax_id: Mapped[str] = mapped_column(String(32), default="", server_default="")
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user = relationship("User", back_populates="brand_profile")
