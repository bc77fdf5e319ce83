"""What the API accepts and returns. These models validate requests and generate openapi.json."""
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.catalog import CATEGORIES, CURRENCIES, PROVINCES, ROUND_KINDS, SIZE_TIERS

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Currency = Literal[CURRENCIES]  # type: ignore[valid-type]
RoundKind = Literal[ROUND_KINDS]  # type: ignore[valid-type]
Amount = Field(ge=0, le=10**13, description="Integer in minor units (fen, cents); never a float.")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors ------------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    code: str = Field(description="snake_case, stable: clients branch on it")
    message: str = Field(description="human text in the caller's language")
    fields: dict[str, str] | None = Field(None, description="per-field reasons for 400 / 422")


class Error(BaseModel):
    error: ErrorBody


# --- accounts ----------------------------------------------------------------------------------

class RegisterIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    role: Literal["brand", "provider"]
    display_name: str = Field(max_length=100)


class UserOut(Out):
    id: int
    email: str
    role: Literal["brand", "provider", "admin"]
    display_name: str


class TokenIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    name: str | None = Field(None, max_length=100, description="a label to tell tokens apart")


class TokenOut(BaseModel):
    token: str = Field(description="shown once; send as `Authorization: Bearer <token>`")
    user: UserOut


class Balance(BaseModel):
    account: str
    amount: int
    currency: str


class MeOut(UserOut):
    balances: list[Balance] = []


# --- profiles ----------------------------------------------------------------------------------

class ShowcaseCaseOut(Out):
    id: int
    title: str
    category: Category
    description: str
    metric: str
    before_value: str
    after_value: str


class ProviderOut(BaseModel):
    id: int
    display_name: str
    company_name: str
    categories: list[Category]
    province: str | None
    city: str | None
    description: str
    team_size: int | None
    verified: bool
    verification_status: Literal["unsubmitted", "pending", "verified", "rejected"]
    cases: list[ShowcaseCaseOut]
    stars: Literal[3, 4, 5, 6] | None = Field(None, description="null until the provider has a rating")


class ProviderProfileIn(BaseModel):
    company_name: str = Field(max_length=200)
    categories: list[Category] = Field(min_length=1)
    province: Literal[PROVINCES] | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, max_length=64)
    description: str = Field("", max_length=5000)
    team_size: int | None = Field(None, ge=1, le=100000)


class VerificationRequestIn(BaseModel):
    registration_number: str = Field(max_length=40, description="unified social credit code, 18 chars")


class VerifyIn(BaseModel):
    checked_number: str = Field(max_length=40, description="the registration number staff checked")
    note: str | None = Field(None, max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(max_length=2000)


class BrandProfileIn(BaseModel):
    store_name: str = Field(max_length=200)
    size_tier: Literal[SIZE_TIERS]  # type: ignore[valid-type]
    registration_number: str | None = Field(None, max_length=40)


class CaseIn(BaseModel):
    title: str = Field(max_length=200)
    category: Category
    description: str = Field("", max_length=5000)
    metric: str = Field("", max_length=100, description='e.g. "conversion rate"')
    before_value: str = Field("", max_length=40, description='e.g. "0.85 %"')
    after_value: str = Field("", max_length=40, description='e.g. "3 %"')


# --- tenders -----------------------------------------------------------------------------------

class KpiIn(BaseModel):
    name: str = Field(max_length=100, description='e.g. "first-response time"')
    target: int | Decimal = Field(description="e.g. 30")
    unit: str = Field("", max_length=20, description='e.g. "s" or "%"')


class TenderIn(BaseModel):
    title: str = Field(max_length=200)
    category: Category
    description: str = Field(max_length=20000)
    budget_min: int = Amount
    budget_max: int = Amount
    currency: Currency = "CNY"
    bid_deadline: AwareDatetime = Field(description="ISO 8601 with offset")
    sealed: bool = False
    rounds: list[RoundKind] = Field(["proposal"], min_length=1, max_length=3)
    kpis: list[KpiIn] = Field([], max_length=10)


class TenderListQuery(BaseModel):
    category: Category | None = None
    status: Literal["open", "evaluating", "awarded", "cancelled"] | None = None
    q: str | None = Field(None, max_length=200, description="words searched in title and description")
    budget_min: int | None = Field(None, ge=0, description="tenders whose budget reaches at least this")
    budget_max: int | None = Field(None, ge=0, description="tenders whose budget starts at or below this")
    brand_id: int | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(20, ge=1, le=100)


class CancelIn(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class KpiOut(BaseModel):
    name: str
    target: int | float
    unit: str


class BrandSummary(BaseModel):
    id: int
    display_name: str
    store_name: str | None
    size_tier: str | None


class TenderOut(BaseModel):
    id: int
    title: str
    category: Category
    description: str
    budget_min: int
    budget_max: int
    currency: str
    bid_deadline: datetime
    sealed: bool
    rounds: list[RoundKind]
    status: Literal["open", "evaluating", "awarded", "cancelled"]
    current_round: RoundKind | None
    bid_count: int | None = Field(description="null where the viewer may not know it (sealed tenders)")
    kpis: list[KpiOut]
    brand: BrandSummary
    created_at: datetime


class TenderStatusOut(BaseModel):
    id: int
    status: Literal["open", "evaluating", "awarded", "cancelled"]


class TenderPage(BaseModel):
    items: list[TenderOut]
    page: int
    per_page: int
    total: int


class ProviderPage(BaseModel):
    items: list[ProviderOut]
    page: int
    per_page: int
    total: int


class PageQuery(BaseModel):
    page: int = Field(1, ge=1)
    per_page: int = Field(20, ge=1, le=100)
