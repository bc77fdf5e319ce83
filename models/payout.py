"""Settlement: where providers are paid, and the batches that pay them. (The daily check of it all
is models.reconciliation.)"""
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class BatchStatus(StrEnum):
    COLLECTING = "collecting"  # payouts are being computed and posted
    PAYING = "paying"  # Stripe transfers are being sent
    CLOSED = "closed"  # nothing left for the job (bank payouts then wait for finance to mark them)


BATCH_TRANSITIONS = {
    BatchStatus.COLLECTING: {BatchStatus.PAYING, BatchStatus.CLOSED},
    BatchStatus.PAYING: {BatchStatus.CLOSED},
    BatchStatus.CLOSED: set(),
}
BATCH_OPEN = (BatchStatus.COLLECTING, BatchStatus.PAYING)  # a job still has work on it


class PayoutStatus(StrEnum):
    PENDING = "pending"  # posted to the payouts clearing account, not yet confirmed paid
    PAID = "paid"
    FAILED = "failed"  # reversed to the provider's payable


PAYOUT_TRANSITIONS = {
    PayoutStatus.PENDING: {PayoutStatus.PAID, PayoutStatus.FAILED},
    PayoutStatus.PAID: set(),
    PayoutStatus.FAILED: set(),
}
PAYOUT_METHODS = ("bank", "stripe")
PAYOUT_KINDS = ("earnings", "withdrawal")


class PayoutAccount(db.Model):
    """Where a provider is paid: a Stripe Express account, or bank details for the bank file."""

    __tablename__ = "payout_accounts"

    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Copied from Stripe's account object when the provider returns from onboarding or we refresh it.
    stripe_payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_account_name: Mapped[str | None] = mapped_column(String(200))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    provider = relationship("User")

    @property
    def has_bank_details(self) -> bool:
        return bool(self.bank_account_name and self.bank_name and self.bank_account_number)


class PayoutBatch(db.Model):
    __tablename__ = "payout_batches"
    __table_args__ = (status_check(BatchStatus),)
    Status, TRANSITIONS = BatchStatus, BATCH_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default=BatchStatus.COLLECTING.value, index=True)
    # 1 while the batch is collecting or paying, NULL after: the unique constraint lets only one batch
    # be open at a time (NULLs never collide), so a batch started twice resumes the open one.
    open_slot: Mapped[int | None] = mapped_column(unique=True)
    cutoff: Mapped[object] = mapped_column(UTCDateTime())  # money credited after this is still on hold
    min_amount: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the schedule
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    job_id: Mapped[str | None] = mapped_column(String(64))  # the job last enqueued for it (progress bar)
    heartbeat_at: Mapped[object | None] = mapped_column(UTCDateTime())  # last progress of a job on it
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime())

    payouts = relationship("Payout", back_populates="batch", order_by="Payout.id", lazy="dynamic")

    @property
    def is_closed(self) -> bool:
        """No job has work left on it (a bank batch's payouts then wait for finance)."""
        return self.status == BatchStatus.CLOSED


class Payout(db.Model):
    """One provider's money in one batch and currency; posted `payout:<id>` when it is created."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("batch_id", "provider_id", "currency", name="uq_payout_per_provider"),
                      status_check(PayoutStatus))
    Status, TRANSITIONS = PayoutStatus, PAYOUT_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    # "earnings": a provider's payable; "withdrawal": a brand's approved wallet withdrawals (always by bank)
    kind: Mapped[str] = mapped_column(String(12), default="earnings", server_default="earnings")
    status: Mapped[str] = mapped_column(String(8), default=PayoutStatus.PENDING.value, index=True)
    # Where it goes, as decided when the batch took it: a Stripe account id, or the bank account number
    # with its holder and bank (a provider changing details later does not redirect money in flight).
    destination: Mapped[str | None] = mapped_column(String(64))
    payee_name: Mapped[str | None] = mapped_column(String(200))
    payee_bank: Mapped[str | None] = mapped_column(String(200))
    transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # finance, for bank payouts
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[object | None] = mapped_column(UTCDateTime())

    batch = relationship("PayoutBatch", back_populates="payouts")
    provider = relationship("User", foreign_keys=[provider_id])

    @property
    def is_paid(self) -> bool:
        return self.status == PayoutStatus.PAID

    @property
    def is_failed(self) -> bool:
        return self.status == PayoutStatus.FAILED
