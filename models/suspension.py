"""Account suspensions: staff stop a brand or provider account, with a reason the user is shown, and the
user may appeal once to a different staff member (services.suspensions has the rules)."""
from sqlalchemy import ForeignKey, Index, String, Text, exists
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow

APPEAL_DECISIONS = ("upheld", "lifted")


class Suspension(db.Model):
    """One suspension of one account, from when staff suspend it to when it is lifted (by staff, or by
    the appeal's decision). Rows are kept after lifting: they are the account's history. Standing =
    `lifted_at` is None; `users.suspended_at` mirrors that for the per-request check."""

    __tablename__ = "suspensions"
    __table_args__ = (
        # At most one standing suspension per account, enforced by the database (suspending twice: 409).
        Index("uq_suspensions_standing_user", "user_id", unique=True,
              sqlite_where=db.text("lifted_at IS NULL"), postgresql_where=db.text("lifted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)  # shown to the user, on the sign-in page and in the e-mail
    suspended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suspended_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[object | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # The one appeal, and its decision by a staff member other than the one who suspended.
    appeal_text: Mapped[str | None] = mapped_column(Text)
    appealed_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)
    appeal_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    appeal_decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    appeal_decision: Mapped[str | None] = mapped_column(String(8))  # APPEAL_DECISIONS
    appeal_decision_reason: Mapped[str | None] = mapped_column(Text)
    # Earned money is paid out unless staff hold it (services.payouts skips a held account's payable);
    # lifting the suspension releases the hold.
    payouts_held_at: Mapped[object | None] = mapped_column(UTCDateTime())
    payouts_held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payout_hold_reason: Mapped[str | None] = mapped_column(Text)
    payouts_released_at: Mapped[object | None] = mapped_column(UTCDateTime())
    payouts_released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    suspended_by = relationship("User", foreign_keys=[suspended_by_id])
    lifted_by = relationship("User", foreign_keys=[lifted_by_id])
    appeal_decided_by = relationship("User", foreign_keys=[appeal_decided_by_id])

    @property
    def standing(self) -> bool:
        return self.lifted_at is None

    @property
    def appeal_open(self) -> bool:
        return self.appealed_at is not None and self.appeal_decided_at is None and self.standing

    @property
    def payouts_held(self) -> bool:
        return self.payouts_held_at is not None and self.payouts_released_at is None


def payouts_held(user_id_column):
    """SQL: the account in `user_id_column` has its payouts held by a standing suspension (the payout
    batch's due selection leaves its payable where it is)."""
    return exists().where(Suspension.user_id == user_id_column, Suspension.lifted_at.is_(None),
                          Suspension.payouts_held_at.is_not(None), Suspension.payouts_released_at.is_(None))
