"""Milestone money and work: funding, delivery, release, deposits and the ledger."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Amount, Currency, Out
from blueprints.api.schemas.contracts import MilestoneOut


class DeliveryFileOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str = Field("", description="the original; for the brand, an image's original answers 403 until "
                                     "the milestone is released")
    original_available: bool = Field(True, description="false while the brand sees this image only as a "
                                                        "watermarked preview")
    thumbnail_url: str | None = Field(None, description="a JPEG of at most 320 px, once the image job made it")
    preview_url: str | None = Field(None, description="a JPEG of at most 1200 px (watermarked with the "
                                                      "provider's name), once the image job made it")


class DeliveryOut(Out):
    version: int
    note: str
    links: list[str]
    created_at: datetime
    files: list[DeliveryFileOut]


class MilestoneEventOut(Out):
    kind: str
    actor_id: int | None
    note: str
    created_at: datetime


class MilestoneDetailOut(MilestoneOut):
    contract_id: int
    auto_release_at: datetime | None = Field(None, description="when a delivered milestone releases by itself")
    deliveries: list[DeliveryOut]
    events: list[MilestoneEventOut]


class FundOut(BaseModel):
    status: Literal["funded", "awaiting_payment", "awaiting_confirmation"] = Field(
        description="`awaiting_confirmation`: above the organisation's two-member amount, a second finance or "
                    "owner member confirms by funding too")
    client_secret: str | None = Field(None, description="Stripe backend: confirm the card with Stripe.js")


class MilestoneStatusOut(BaseModel):
    id: int
    status: str


class DeliverIn(BaseModel):
    note: str = Field(max_length=5000)
    links: list[str] = Field([], max_length=10)


class NoteIn(BaseModel):
    note: str = Field(max_length=5000)


class DepositIn(BaseModel):
    user_id: int
    amount: int = Amount
    currency: Currency = "CNY"
    reference: str = Field(max_length=100, description="the bank transfer's reference; a deposit is recorded once")


class DepositOut(BaseModel):
    id: int
    key: str
    user_id: int
    amount: int
    currency: str
    reference: str


class SummaryAccount(BaseModel):
    name: str
    amount: int
    currency: str


class LedgerSummaryOut(BaseModel):
    accounts: list[SummaryAccount]
    total: dict[str, int] = Field(description="per currency; always 0")


class EntryOut(BaseModel):
    posting: str
    kind: str
    account: str
    amount: int
    currency: str
    memo: str
    created_at: datetime


class EntryPage(BaseModel):
    items: list[EntryOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)
