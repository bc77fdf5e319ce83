"""Documents the platform keeps for a contract (issue 18): the contract document generated on award,
and the invoice records issued for each release (the provider's to the brand, the platform's for its
commission to the provider).

Generated files live in the upload storage like any other (services/storage.py), each with the
SHA-256 of its bytes so either party can later prove which document they were given."""
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow


class ContractDocument(db.Model):
    """The contract as a PDF, made once (unique contract_id: a job delivered twice stores nothing twice)."""

    __tablename__ = "contract_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), unique=True)
    stored_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    contract = relationship("Contract")
    content_type = "application/pdf"

    @property
    def filename(self) -> str:
        return f"contract-{self.contract_id}.pdf"


class Invoice(db.Model):
    """An invoice record for one release (a milestone or period paid out).

    kind "provider": the provider's invoice to the brand for the release's gross amount; its number is
    the provider's own, unique per provider. kind "platform": the platform's invoice to the provider
    for the commission it took on that release. One of each per release."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("milestone_id", "kind", name="uq_invoice_per_release"),
        # a provider's numbering (the platform's numbers are made from the release and unique too)
        Index("uq_invoices_issuer_number", "issuer_id", "number", unique=True),
        CheckConstraint("kind IN ('provider', 'platform')", name="kind_known"),
        CheckConstraint("amount > 0 AND tax_amount >= 0", name="amounts_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the provider; None: the platform
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    # the recipient's invoice title (抬头) and tax id (税号) as they were when issued
    title: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(32), default="")
    amount: Mapped[int] = mapped_column(BigInteger)  # tax included, minor units
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_bps: Mapped[int] = mapped_column()
    tax_amount: Mapped[int] = mapped_column(BigInteger)
    # the official 发票 as a PDF, optional
    stored_name: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    milestone = relationship("Milestone")
    contract = relationship("Contract")
    content_type = "application/pdf"

    @property
    def filename(self) -> str:
        return f"invoice-{self.number}.pdf"
