"""Invoice records (issue 18): the provider's invoice to the brand per release, the platform's for its commission."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out


class InvoiceIn(BaseModel):
    number: str = Field(max_length=40, description="the provider's invoice number, unique per provider")
    tax_rate_bps: int = Field(description="one of the configured INVOICE_TAX_RATES, in basis points (600 = 6 %)")


class InvoiceOut(Out):
    id: int
    kind: Literal["provider", "platform"]
    milestone_id: int
    contract_id: int
    issuer_id: int | None = Field(description="the provider; null for the platform's own invoice")
    recipient_id: int
    number: str
    title: str = Field(description="the recipient's invoice title when issued")
    tax_id: str
    amount: int = Field(description="tax included, minor units")
    currency: str
    tax_rate_bps: int
    tax_amount: int
    sha256: str | None = Field(description="of the attached official invoice PDF, if any")
    created_at: datetime


class InvoiceList(BaseModel):
    items: list[InvoiceOut]
    tax_rates: list[int] = Field(description="the rates an invoice may carry, in basis points")
