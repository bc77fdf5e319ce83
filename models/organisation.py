"""Organisations: a brand or provider company, its members with their roles, the invitations its owners
sent, and fund requests waiting for a second member (the organisation's two-member rule).

An organisation's *principal* (`account_user_id`) is the users row that owns its domain objects and
ledger accounts (tenders.brand_id, bids.provider_id, wallets, payables…): the account that existed
before organisations did. Members are users of their own whose acting account is that principal.
"""
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

KINDS = ("brand", "provider")
ROLES = {
    "brand": ("owner", "procurement", "evaluator", "finance", "viewer"),
    "provider": ("owner", "bid_manager", "delivery", "finance", "viewer"),
}
ALL_ROLES = tuple(sorted({role for roles in ROLES.values() for role in roles}))


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint("kind IN ('brand', 'provider')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    account_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    # The two-member rule: a fund of more than this (minor units, any currency) needs a second
    # finance or owner member to confirm it. None: off.
    dual_fund_above: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    account_user = relationship("User", foreign_keys=[account_user_id])
    memberships = relationship("Membership", back_populates="organisation", cascade="all, delete-orphan",
                               order_by="Membership.id")


class Membership(db.Model):
    """One user in one organisation (a user belongs to at most one: `user_id` is unique)."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(r) for r in ALL_ROLES)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    joined_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    organisation = relationship(Organisation, back_populates="memberships", lazy="joined")
    user = relationship("User", foreign_keys=[user_id], back_populates="membership")


class OrgInvitation(db.Model):
    """An owner's invitation by e-mail. The mailed link carries a signed token naming this row; the row
    makes it single-use (`accepted_at`, set by a conditional UPDATE) and revocable (`revoked_at`)."""

    __tablename__ = "org_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[object] = mapped_column(UTCDateTime())
    accepted_at: Mapped[object | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime())

    organisation = relationship(Organisation)


class FundRequest(db.Model):
    """A fund above the organisation's two-member amount, asked for by one member and waiting for a
    second, different finance or owner member. One per milestone (unique): confirming funds it once."""

    __tablename__ = "fund_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime())

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
