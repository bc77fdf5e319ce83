"""Tenders: posting, listing, cancelling; their KPI targets and the brand they belong to."""
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Amount, Category, Currency, RoundKind
from services.pagination import COUNT_CAP


class KpiIn(BaseModel):
    name: str = Field(max_length=100, description='e.g. "first-response time"')
    target: int | Decimal = Field(description="e.g. 30")
    unit: str = Field("", max_length=20, description='e.g. "s" or "%"')
    direction: Literal["at_least", "at_most"] = Field(
        "at_least", description='when a result meets the target: "at_least" (conversion) or "at_most" (response time)')
    bonus_bps: int = Field(0, description="0–3000: paid on top of the period's base when its result meets the target")
    penalty_bps: int = Field(0, description="0–3000: withheld from the period's base when its result misses")


class CriterionIn(BaseModel):
    name: str = Field(max_length=100, description='e.g. "staffing plan"')
    weight: int = Field(0, ge=0, le=100, description="the round's weights sum to 100; a deal-breaker carries 0")
    deal_breaker: bool = Field(False, description="graders' mean mark below 5 puts the bid out of the round")


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
    criteria: dict[RoundKind, list[CriterionIn]] = Field(
        {}, description='scorecards: {"<round>": [{name, weight}]}, weights summing to 100 per round')
    blind_grading: bool = Field(False, description="evaluators who do not run the tender grade without bidders' names")
    sealed_opening: bool = Field(False, description="until bidding closes even the brand sees only that bids exist")
    two_envelope: bool = Field(False, description="technical envelopes open and pass or fail before any price opens "
                                                  "(implies sealed_opening)")
    invited_only: bool = Field(False, description="unlisted; only invited providers may see and bid")
    requires_verified: bool = False
    min_stars: int | None = Field(None, description="3–6; providers below it (or without stars) cannot bid")
    margin_required: int = Field(0, ge=0, le=10**13, description="minor units (CNY) of margin deposit a bidder must "
                                 "hold; the category's requirement applies when it is higher")
    engagement: Literal["fixed", "retainer", "metered"] = Field(
        "fixed", description="fixed milestones, a retainer (a fee per period) or metered (units × price, capped)")
    period_days: int | None = Field(None, description="retainer and metered: each period's length, 7–92 days")
    periods: int | None = Field(None, description="retainer and metered: the number of periods, 1–36")
    unit: str | None = Field(None, max_length=40, description='metered: what is counted ("conversation", "photo")')


class TenderListQuery(BaseModel):
    category: Category | None = None
    status: Literal["open", "evaluating", "awarded", "cancelled"] | None = None
    q: str | None = Field(None, max_length=200, description="words searched in title and description "
                   "(Chinese words too, e.g. 客服 in 客服外包); every word must match; best matches first, then newest."
                   " Ranks the newest 500 matches, which are the results")
    budget_min: int | None = Field(None, ge=0, description="tenders whose budget reaches at least this")
    budget_max: int | None = Field(None, ge=0, description="tenders whose budget starts at or below this")
    brand_id: int | None = None
    min_brand_score: int | None = Field(None, ge=0, le=100, description="brands scored at least this; new brands "
                                        "(no score yet) are left out")
    sort: Literal["newest", "brand_score"] = Field("newest", description="brand_score: best-scored brands first")
    page: int = Field(1, ge=1, description="OFFSET paging, kept for compatibility: it slows down the deeper it goes "
                      f"(past {COUNT_CAP} rows, follow `next_cursor` instead)")
    per_page: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200, description="a page's `next_cursor`: the page after it, as fast "
                               "at any depth (newest-first lists without `q`; `page` is then ignored)")


class CorrectionIn(BaseModel):
    description: str = Field(max_length=20000)


class CancelIn(BaseModel):
    reason: str | None = Field(None, max_length=2000)


class KpiOut(BaseModel):
    id: int
    name: str
    target: int | float
    unit: str
    direction: Literal["at_least", "at_most"]
    bonus_bps: int
    penalty_bps: int


class BrandSummary(BaseModel):
    id: int
    display_name: str
    store_name: str | None
    size_tier: str | None
    score: float | None = Field(None, description="the brand score, 0–100; null for a new brand")
    new: bool = Field(True, description="true while the brand has too few contracts for a score")
    payment_days: float | None = Field(None, description="average days from award (or a period's start) to funding")
    disputes_lost_12m: int = Field(0, description="disputes decided against the brand in the score's window")
    verified: bool = False


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
    sealed_opening: bool
    invited_only: bool
    requires_verified: bool
    min_stars: int | None
    margin_required: int = Field(0, description="minor units (CNY) of margin deposit the tender itself asks of bidders")
    criteria: dict[RoundKind, list[CriterionIn]]
    blind_grading: bool
    two_envelope: bool
    envelopes: "EnvelopesOut | None" = Field(None, description="two-envelope tenders: when each stage opened")
    engagement: Literal["fixed", "retainer", "metered"]
    period_days: int | None
    periods: int | None
    unit: str | None


class EnvelopesOut(BaseModel):
    stage: Literal["sealed", "technical", "price"]
    technical_opened_at: datetime | None
    price_opened_at: datetime | None


class BafoOut(BaseModel):
    id: int
    closes_at: datetime
    open: bool
    created_at: datetime


class TenderStatusOut(BaseModel):
    id: int
    status: Literal["open", "evaluating", "awarded", "cancelled"]


class TenderPage(BaseModel):
    items: list[TenderOut]
    page: int
    per_page: int
    total: int = Field(description=f"tenders matching, counted exactly up to {COUNT_CAP}; beyond, {COUNT_CAP} "
                       "with `total_is_estimate` true")
    total_is_estimate: bool = Field(False, description=f"true when more than {COUNT_CAP} tenders match")
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page, "
                                    "and for searches (`q`) and `sort=brand_score`, which page by `page` only")
