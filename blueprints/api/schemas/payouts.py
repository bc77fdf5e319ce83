"""Payouts to providers and the batches that pay them."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import PageQuery


class PayoutOut(BaseModel):
    id: int
    amount: int
    currency: str
    status: Literal["pending", "paid", "failed"]
    batch_id: int
    provider_id: int
    method: Literal["bank", "stripe"]
    transfer_id: str | None = None
    bank_reference: str | None = None
    failure_reason: str | None = None
    created_at: datetime
    settled_at: datetime | None = None


class PayoutPage(BaseModel):
    items: list[PayoutOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class PayoutQuery(PageQuery):
    batch_id: int | None = Field(None, ge=1)
    status: Literal["pending", "paid", "failed"] | None = None


class PayoutRunOut(BaseModel):
    job_id: str
    batch_id: int


class PayoutPaidIn(BaseModel):
    reference: str = Field(max_length=100, description="the bank transfer's reference")


class PayoutFailedIn(BaseModel):
    reason: str = Field(max_length=500, description="what the bank said; the provider is told")
