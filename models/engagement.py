"""Ongoing engagements: how a contract is paid over time (services/engagements.py holds the rules).

A `fixed` contract pays its milestones as planned; a `retainer` pays a fee per period and a `metered`
one what was used in the period, up to a cap. One period is one milestone (Milestone.period_index),
so escrow, disputes, statements and payouts treat periods like any milestone."""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class Engagement(StrEnum):
    FIXED = "fixed"
    RETAINER = "retainer"
    METERED = "metered"


PERIODIC = (Engagement.RETAINER, Engagement.METERED)  # paid period by period
MAX_BPS = 3000  # a KPI's bonus or penalty: at most this share (basis points) of the period's base
PERIOD_DAYS = (7, 92)  # a period's length, least and most
MAX_PERIODS = 36


def engagement_check(column: str = "engagement") -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in Engagement)
    return CheckConstraint(f"{column} IN ({values})", name=column)


class UsageRecord(db.Model):
    """Units used in a metered period, as recorded by the provider (or the brand's own system)."""

    __tablename__ = "usage_records"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
