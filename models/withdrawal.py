"""A brand's request to take unspent wallet money back to its bank account (issue 18).

The money leaves the wallet at request (posting `withdrawal:<id>`, wallet → the brand's
`withdrawal_hold` account), so it cannot be spent twice while staff decide. Refused: it returns
(`withdrawal-refused:<id>`). Approved: the next payout batch takes it into a bank payout of kind
`withdrawal` (`payout:<payout id>`, hold → payouts clearing) and it rides the bank file; the payout
marked paid or failed settles the withdrawal too (failed: the money goes back to the wallet).
"""
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class WithdrawalStatus(StrEnum):
    REQUESTED = "requested"  # held out of the wallet, waiting for staff
    APPROVED = "approved"  # waiting for (or riding) a payout batch
    REFUSED = "refused"  # returned to the wallet
    PAID = "paid"  # its payout was marked paid
    FAILED = "failed"  # its payout failed; returned to the wallet


WITHDRAWAL_TRANSITIONS = {
    WithdrawalStatus.REQUESTED: {WithdrawalStatus.APPROVED, WithdrawalStatus.REFUSED},
    WithdrawalStatus.APPROVED: {WithdrawalStatus.PAID, WithdrawalStatus.FAILED},
    WithdrawalStatus.REFUSED: set(),
    WithdrawalStatus.PAID: set(),
    WithdrawalStatus.FAILED: set(),
}


class Withdrawal(db.Model):
    __tablename__ = "withdrawals"
    __table_args__ = (status_check(WithdrawalStatus), CheckConstraint("amount > 0", name="amount_positive"))
    Status, TRANSITIONS = WithdrawalStatus, WITHDRAWAL_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the organisation's principal
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=WithdrawalStatus.REQUESTED.value, index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    brand = relationship("User", foreign_keys=[brand_id])
    payout = relationship("Payout")

    @property
    def is_refused(self) -> bool:
        return self.status == WithdrawalStatus.REFUSED
