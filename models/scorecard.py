"""Scorecards (issue 15): a tender round's weighted criteria, the panel that grades bids against them,
each grader's private marks, and when the round's grading closed."""
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

MARK_RANGE = (0, 10)  # a grader's mark per criterion


class TenderCriterion(db.Model):
    """One criterion of a round, e.g. proposal: staffing plan, weight 30. The weights of a round's
    ordinary criteria sum to 100; a deal-breaker carries no weight: failing it puts the bid out of the round."""

    __tablename__ = "tender_criteria"
    __table_args__ = (UniqueConstraint("tender_id", "round_index", "name"),
                      CheckConstraint("weight BETWEEN 0 AND 100", name="weight_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    round_index: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[int] = mapped_column(default=0)
    deal_breaker: Mapped[bool] = mapped_column(default=False)


class PanelMember(db.Model):
    """A member of the tender's organisation named to grade it, with its conflict-of-interest declaration.
    A member taken off the panel keeps its row (`removed_at`), so the declaration stays with the tender."""

    __tablename__ = "tender_panel"
    __table_args__ = (UniqueConstraint("tender_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime())
    declared_at: Mapped[object | None] = mapped_column(UTCDateTime())
    conflict: Mapped[bool | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User")

    @property
    def active(self) -> bool:
        return self.removed_at is None


class Grade(db.Model):
    """One grader's mark (0–10) of one bid on one criterion; private to the grader until grading closes."""

    __tablename__ = "bid_grades"
    __table_args__ = (UniqueConstraint("bid_id", "grader_id", "criterion_id"),
                      CheckConstraint(f"mark BETWEEN {MARK_RANGE[0]} AND {MARK_RANGE[1]}", name="mark_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("tender_criteria.id", ondelete="CASCADE"), index=True)
    mark: Mapped[int] = mapped_column()
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GradingClosure(db.Model):
    """The moment a round's grading closed: marks are final and visible to the panel from then on."""

    __tablename__ = "grading_closures"
    __table_args__ = (UniqueConstraint("tender_id", "round_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    round_index: Mapped[int] = mapped_column()
    closed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class BidOpening(db.Model):
    """A brand member opened a bid's contents or downloaded one of its files: who, what, when. Kept to
    help resolve disputes; shown to those who run the tender and to staff in a dispute on its contract."""

    __tablename__ = "bid_openings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    what: Mapped[str] = mapped_column(String(16))  # "contents" or "file"
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("bid_attachments.id", ondelete="SET NULL"))
    opened_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    user = relationship("User")
