"""Providers' margin deposit (保证金, issue 18): what staff require per category, and the parts of a
provider's margin staff award to a brand after a dispute the provider lost.

The margin itself is ledger money (a `provider_margin` account per provider, in MARGIN_CURRENCY);
these tables hold the rules and the decisions, each award posted once (`margin-award:<id>`).
"""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class CategoryMargin(db.Model):
    """The margin a provider must hold to bid in a category (a tender may ask for more)."""

    __tablename__ = "category_margins"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of MARGIN_CURRENCY
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AwardStatus(StrEnum):
    PENDING = "pending"  # above the approval threshold: waits for a second staff member
    APPLIED = "applied"  # posted: the money went from the margin to the brand's wallet
    REJECTED = "rejected"  # the second staff member said no; nothing moved


AWARD_TRANSITIONS = {
    AwardStatus.PENDING: {AwardStatus.APPLIED, AwardStatus.REJECTED},
    AwardStatus.APPLIED: set(),
    AwardStatus.REJECTED: set(),
}


class MarginAward(db.Model):
    __tablename__ = "margin_awards"
    __table_args__ = (
        status_check(AwardStatus), CheckConstraint("amount > 0", name="amount_positive"),
        # one award waiting for approval per dispute: the next is judged on what was already awarded
        Index("uq_margin_awards_pending", "dispute_id", unique=True,
              sqlite_where=db.text("status = 'pending'"), postgresql_where=db.text("status = 'pending'")),
    )
    Status, TRANSITIONS = AwardStatus, AWARD_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=AwardStatus.PENDING.value, index=True)
    reason: Mapped[str] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())

    dispute = relationship("Dispute")

    @property
    def is_pending(self) -> bool:
        return self.status == AwardStatus.PENDING
