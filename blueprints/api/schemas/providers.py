"""Provider and brand profiles, verification, showcase cases, and the rated provider directory."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Category, Out, PageQuery
from models.catalog import PROVINCES, SIZE_TIERS
from services.pagination import COUNT_CAP


class ShowcaseCaseOut(Out):
    id: int
    title: str
    category: Category
    description: str
    metric: str
    before_value: str
    after_value: str
    client_brand: str = Field("", description="empty unless the client agreed to be named")
    image_url: str | None = Field(None, description="the case's picture (JPEG, at most 1200 px) once made")
    thumbnail_url: str | None = Field(None, description="the same, at most 320 px")


class AvatarOut(BaseModel):
    avatar_url: str | None = Field(description="null: no picture (the pages show the name's initial)")


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
    avatar_url: str | None = Field(None, description="the provider's avatar or logo (JPEG, at most 320 px)")
    stars: Literal[3, 4, 5, 6] | None = Field(None, description="null: a new provider (< 3 completed contracts)")
    score: float | None = Field(None, description="0–100, from the four dimensions")
    score_breakdown: dict = Field({}, description="each dimension's 0–100 sub-score and what fed it")
    review_count: int = 0
    completed_contracts: int = 0
    rated_at: datetime | None = None
    badges: list[dict] = []


class ProviderProfileIn(BaseModel):
    company_name: str = Field(max_length=200)
    categories: list[Category] = Field(min_length=1)
    province: Literal[PROVINCES] | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, max_length=64)
    description: str = Field("", max_length=5000)
    team_size: int | None = Field(None, ge=1, le=100000)


class VerificationRequestIn(BaseModel):
    registration_number: str = Field(max_length=40, description="unified social credit code, 18 chars")
    legal_representative: str = Field("", max_length=200, description="the legal representative printed on the "
                                      "business licence")


class VerificationOut(BaseModel):
    """An account's verification as it stands (a provider's or a brand's)."""

    verification_status: Literal["unsubmitted", "pending", "verified", "rejected"]
    registration_number: str | None
    legal_representative: str | None
    licence_uploaded: bool = Field(description="whether a business licence image is on file (PUT /me/licence)")
    reason: str | None = Field(None, description="staff's reason, after a rejection")


class SameCodeAccount(BaseModel):
    id: int
    kind: Literal["provider", "brand"]
    name: str
    registration_number: str | None
    verified_registration_number: str | None
    verification_status: str


class VerificationReviewOut(VerificationOut):
    """What staff compare: the entered data, the licence image's address, the other accounts with the code."""

    id: int
    kind: Literal["provider", "brand"]
    name: str
    licence_url: str | None
    same_code: list[SameCodeAccount] | None = Field(description="other accounts that submitted or hold the code; "
                                                    "null in lists (see GET /admin/verifications/{kind}/{id})")


class VerifyIn(BaseModel):
    checked_number: str = Field(max_length=40, description="the registration number staff checked")
    note: str | None = Field(None, max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(max_length=2000)


class BrandProfileIn(BaseModel):
    store_name: str = Field(max_length=200)
    size_tier: Literal[SIZE_TIERS]  # type: ignore[valid-type]
    registration_number: str | None = Field(None, max_length=40)
    province: Literal[PROVINCES] | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, max_length=64)
    invoice_title: str | None = Field(None, max_length=200)  # None: unchanged
    tax_id: str | None = Field(None, max_length=40)


class CaseIn(BaseModel):
    title: str = Field(max_length=200)
    category: Category
    description: str = Field("", max_length=5000)
    metric: str = Field("", max_length=100, description='e.g. "conversion rate"')
    before_value: str = Field("", max_length=40, description='e.g. "0.85 %"')
    after_value: str = Field("", max_length=40, description='e.g. "3 %"')
    client_brand: str = Field("", max_length=200, description="name the client only if it agreed")


class ProviderPage(BaseModel):
    items: list[ProviderOut]
    page: int
    per_page: int
    total: int = Field(description=f"providers matching, counted exactly up to {COUNT_CAP}; beyond, {COUNT_CAP} "
                       "with `total_is_estimate` true")
    total_is_estimate: bool = Field(False, description=f"true when more than {COUNT_CAP} providers match")
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page, "
                                    "and for searches (`q`), which page by `page` only")


class ProviderListQuery(PageQuery):
    page: int = Field(1, ge=1, description="OFFSET paging, kept for compatibility: it slows down the deeper it goes "
                      f"(past {COUNT_CAP} rows, follow `next_cursor` instead)")
    cursor: str | None = Field(None, max_length=200, description="a page's `next_cursor`: the page after it, as fast "
                               "at any depth (lists without `q`; `page` is then ignored)")
    category: Category | None = None
    province: Literal[PROVINCES] | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, max_length=64)
    min_stars: int | None = Field(None, ge=3, le=6)
    verified: bool | None = None
    q: str | None = Field(None, max_length=200, description="words searched in the name, description, categories "
                          "(in English or Chinese) and portfolio cases; every word must match; best matches first")


class RatingPoint(BaseModel):
    computed_at: datetime
    score: float
    stars: int | None


class RatingHistory(BaseModel):
    items: list[RatingPoint]


class VerificationPage(BaseModel):
    items: list[VerificationReviewOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)
