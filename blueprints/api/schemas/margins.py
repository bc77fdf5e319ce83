"""Margin deposit (contract "Margin deposit"): what a provider holds and must hold; staff's rules and awards."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out


class MoneyOut(BaseModel):
    amount: int
    currency: str


class RequirementOut(BaseModel):
    category: str
    amount: int = Field(description="minor units of the margin currency (CNY)")


class MarginOut(BaseModel):
    held: MoneyOut
    required: list[RequirementOut]
    reference: str = Field(description="the provider's transfer reference: a bank transfer carrying it pays the margin")
    withdrawable_from: datetime | None = Field(None, description="when the 30-day cool-off ends")
    open_work: bool = Field(description="a contract or dispute is open: the margin cannot be withdrawn")


class MarginMoveIn(BaseModel):
    amount: int = Field(gt=0, le=10**13, description="minor units")
    currency: str = Field(min_length=3, max_length=3)


class MarginMoveOut(BaseModel):
    posting: str = Field(description="the ledger posting's key")
    held: MoneyOut


class CategoryMarginIn(BaseModel):
    amount: int = Field(ge=0, le=10**13, description="minor units (CNY); 0: no margin required")


class CategoryMarginOut(BaseModel):
    category: str
    amount: int


class MarginAwardIn(BaseModel):
    amount: int = Field(gt=0, le=10**13, description="minor units; all awards of a dispute total at most its amount")
    reason: str = Field(min_length=1, max_length=5000)


class MarginAwardOut(Out):
    id: int
    dispute_id: int
    provider_id: int
    brand_id: int
    amount: int
    currency: str
    status: str = Field(description="pending (waits for a second staff member), applied or rejected")


class MarginAwardRejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
