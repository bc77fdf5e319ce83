"""Lines of the platform bank account's statements, as finance imported them (issue 18).

One row per bank transaction, ever: `transaction_key` (the bank's transaction id, normalised) is
unique, so a line imported twice — the same file again, or two staff importing at once — is found, not
credited again. A line whose reference names a brand is credited at import (`credited`); the others
wait in staff's queue (`unmatched`) until staff assign them to a wallet (`assigned`) or send the money
back (`returned`). Unmatched money sits in the ledger's `bank_suspense` account meanwhile.
"""
from datetime import date
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class LineStatus(StrEnum):
    CREDITED = "credited"  # matched a brand's reference at import, credited then (final)
    UNMATCHED = "unmatched"  # in staff's queue, the money in bank_suspense
    ASSIGNED = "assigned"  # staff credited it to the brand they named
    RETURNED = "returned"  # staff sent it back to the payer


LINE_TRANSITIONS = {LineStatus.UNMATCHED: (LineStatus.ASSIGNED, LineStatus.RETURNED)}


class BankStatementLine(db.Model):
    __tablename__ = "bank_statement_lines"
    __table_args__ = (status_check(LineStatus),
                      CheckConstraint("amount > 0", name="amount_positive"))

    Status, TRANSITIONS = LineStatus, LINE_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_key: Mapped[str] = mapped_column(String(120), unique=True)
    transaction_id: Mapped[str] = mapped_column(String(120))  # as the bank wrote it
    bank: Mapped[str] = mapped_column(String(40))  # the statement format it came in (BANK_STATEMENT_FORMATS)
    value_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    # Why an unmatched line did not match ("no_reference", "check_digit", "unknown_account").
    reason: Mapped[str | None] = mapped_column(String(32))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    brand = relationship("User", foreign_keys=[brand_id])
