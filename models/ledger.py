"""The double-entry ledger: accounts, postings, entries. Entries are append-only; balances are sums."""
from sqlalchemy import BigInteger, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.types import UTCDateTime, utcnow

# Kinds of account. Sign convention: a positive balance is money the platform holds for that
# purpose; clearing accounts go negative by what came in from outside (bank transfers, cards).
ACCOUNT_KINDS = ("brand_wallet", "escrow", "provider_payable", "platform_revenue", "bank_clearing",
                 "stripe_clearing", "payouts_clearing", "chargebacks", "processor_fees", "bank_suspense",
                 "withdrawal_hold", "provider_margin", "contest_escrow")


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "brand_wallet:user:12:CNY", "escrow:milestone:42:CNY", "platform_revenue:CNY"
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    # Bumped by every posting that needs the balance stable: an UPDATE takes the row lock on
    # PostgreSQL and the write lock on SQLite, so two postings cannot both spend the same money.
    lock_version: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerPosting(db.Model):
    """One business event, as ≥ 2 entries summing to zero per currency. `key` makes it happen once."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # e.g. "release:milestone:42"
    kind: Mapped[str] = mapped_column(String(32), index=True)
    memo: Mapped[str] = mapped_column(String(500), default="")
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reference: Mapped[str | None] = mapped_column(String(200))  # bank reference, Stripe object id …
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    entries = relationship("LedgerEntry", back_populates="posting", order_by="LedgerEntry.id")


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("ledger_postings.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # signed minor units
    currency: Mapped[str] = mapped_column(String(3))

    posting = relationship("LedgerPosting", back_populates="entries")
    account = relationship("LedgerAccount")


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
@event.listens_for(LedgerPosting, "before_update")
@event.listens_for(LedgerPosting, "before_delete")
def _append_only(mapper, connection, target):
    raise AppendOnlyError("ledger postings and entries are append-only; post a correction instead")
