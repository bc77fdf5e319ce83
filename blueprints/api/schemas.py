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
    direction: Literal["at_least", "at_most"] = Field(
        "at_least", description='when a result meets the target: "at_least" (conversion) or "at_most" (response time)')


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
    sealed_opening: bool = Field(False, description="until bidding closes even the brand sees only that bids exist")
    invited_only: bool = Field(False, description="unlisted; only invited providers may see and bid")
    requires_verified: bool = False
    min_stars: int | None = Field(None, description="3–6; providers below it (or without stars) cannot bid")


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
    id: int
    name: str
    target: int | float
    unit: str
    direction: Literal["at_least", "at_most"]


class KpiResultIn(BaseModel):
    kpi_id: int = Field(description="one of the contract's tender KPIs")
    value: int | Decimal = Field(description="what was measured over the milestone, in the KPI's unit")


class KpiResultOut(BaseModel):
    id: int
    kpi_id: int
    milestone_id: int
    value: int | float
    met: bool
    recorded_at: AwareDatetime


class KpiResults(BaseModel):
    kpis: list[KpiOut]
    items: list[KpiResultOut]


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
    sealed_opening: bool
    invited_only: bool
    requires_verified: bool
    min_stars: int | None


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


# --- bids ----------------------------------------------------------------------------------------

class MilestonePlanIn(BaseModel):
    title: str = Field(max_length=200)
    amount: int = Amount
    due_days: int = Field(ge=1, le=3650, description="days after award")


class BidIn(BaseModel):
    amount: int = Amount
    currency: Currency = "CNY"
    delivery_days: int = Field(ge=1, le=3650)
    proposal: str = Field(max_length=50000, description="Markdown; raw HTML is not rendered")
    milestones: list[MilestonePlanIn] = Field(min_length=1, max_length=20,
                                              description="amounts must sum to `amount`")


class ProviderSummary(BaseModel):
    id: int
    display_name: str
    verified: bool
    stars: int | None


class MilestonePlanOut(Out):
    title: str
    amount: int
    due_days: int


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str


class ScoreOut(BaseModel):
    round: RoundKind
    score: int | None
    note: str


class SlotOut(BaseModel):
    round: RoundKind
    starts_at: datetime
    duration_minutes: int
    location: str
    note: str


class BidOut(BaseModel):
    id: int
    tender_id: int
    provider: ProviderSummary | None = Field(description="null while the bid is sealed from this viewer: a sealed "
                                                         "opening hides who bid, as well as what")
    status: Literal["submitted", "rejected", "withdrawn", "awarded"]
    round: RoundKind
    revision: int
    sealed: bool = Field(description="true when the contents are withheld from this viewer (sealed opening)")
    amount: int | None
    currency: str
    delivery_days: int | None
    proposal: str | None
    milestones: list[MilestonePlanOut] | None
    attachments: list[AttachmentOut] | None
    scores: list[ScoreOut] | None = Field(description="the brand's own scores; not shown to the provider")
    slots: list[SlotOut]
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime


class BidPage(BaseModel):
    items: list[BidOut]
    page: int
    per_page: int
    total: int


class RevisionOut(Out):
    number: int
    amount: int
    delivery_days: int
    proposal: str
    milestones: list[MilestonePlanOut]
    created_at: datetime


class RevisionList(BaseModel):
    items: list[RevisionOut]


class AdvanceIn(BaseModel):
    score: int | None = Field(None, ge=0, le=100, description="for the round the bid leaves")
    note: str | None = Field(None, max_length=5000)


class ScoreIn(BaseModel):
    score: int | None = Field(None, ge=0, le=100)
    note: str = Field("", max_length=5000)


class RejectBidIn(BaseModel):
    reason: str = Field(max_length=2000)


class SlotIn(BaseModel):
    starts_at: AwareDatetime
    location: str = Field(max_length=500, description="an address or a meeting link")
    duration_minutes: int = Field(60, ge=15, le=480)
    note: str = Field("", max_length=2000)


class AwardIn(BaseModel):
    bid_id: int


class AwardOut(BaseModel):
    contract_id: int


# --- tender Q&A, addenda, invitations ------------------------------------------------------------

class QuestionIn(BaseModel):
    question: str = Field(max_length=2000)


class AnswerIn(BaseModel):
    answer: str = Field(max_length=5000)


class QuestionOut(Out):
    id: int
    question: str
    answer: str | None
    created_at: datetime
    answered_at: datetime | None


class QuestionList(BaseModel):
    items: list[QuestionOut]


class AddendumIn(BaseModel):
    body: str = Field(max_length=20000)
    bid_deadline: AwareDatetime | None = Field(None, description="a later deadline, if the change needs one")


class AddendumOut(Out):
    id: int
    body: str
    deadline_before: datetime
    deadline_after: datetime
    created_at: datetime


class AddendumList(BaseModel):
    items: list[AddendumOut]


class InviteIn(BaseModel):
    provider_ids: list[int] = Field(min_length=1, max_length=50)


class InviteOut(BaseModel):
    invited: list[int] = Field(description="providers newly invited by this call")


class RecommendedProviders(BaseModel):
    star_levels: list[Literal[3, 4, 5, 6] | None] = Field(
        description="the levels suggested for the brand's size tier (null: new providers)")
    items: list[ProviderOut] = Field(description="verified, in the tender's category, not yet invited or "
                                                 "bidding (bidders stay listed while a sealed opening hides "
                                                 "who bid), best first; empty once bidding has closed")


# --- contracts -----------------------------------------------------------------------------------

class MilestoneOut(Out):
    id: int
    title: str
    amount: int
    currency: str
    status: str
    due_at: datetime
    funded_at: datetime | None = None
    delivered_at: datetime | None = None
    released_at: datetime | None = None


class DeliveryFileOut(Out):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


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
    status: Literal["funded", "awaiting_payment"]
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


class ContractOut(Out):
    id: int
    tender_id: int
    bid_id: int
    brand_id: int
    provider_id: int
    status: str
    amount: int
    currency: str
    created_at: datetime
    milestones: list[MilestoneOut]


# --- notifications -------------------------------------------------------------------------------

class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str = Field(description="in the caller's language (Accept-Language)")
    params: dict
    link: str
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    unread: int


class NotificationQuery(PageQuery):
    unread: bool = False


# --- disputes ------------------------------------------------------------------------------------

DisputeReason = Literal["not_delivered", "quality", "scope_change", "late", "unresponsive", "other"]


class DisputeIn(BaseModel):
    reason: DisputeReason
    statement: str = Field("", max_length=5000)
    evidence: list[str] = Field([], max_length=10, description="links")


class EvidenceIn(BaseModel):
    note: str = Field("", max_length=5000)
    links: list[str] = Field([], max_length=10)


class ResolveIn(BaseModel):
    provider_amount: int = Field(ge=0, description="0 … milestone amount, minor units")
    reason: str = Field(max_length=5000)


class AdjustmentIn(BaseModel):
    amount: int = Amount
    direction: Literal["to_brand", "to_provider"]
    reason: str = Field(max_length=5000)


class EvidenceFileOut(Out):
    id: int
    filename: str
    size: int
    sha256: str


class EvidenceOut(Out):
    id: int
    author_id: int
    note: str
    links: list[str]
    created_at: datetime
    files: list[EvidenceFileOut]


class DisputeEventOut(Out):
    actor_id: int | None
    action: str
    detail: dict
    created_at: datetime


class DisputeOut(BaseModel):
    id: int
    milestone_id: int
    contract_id: int
    amount: int
    currency: str
    status: Literal["open", "resolved", "withdrawn"]
    reason: DisputeReason
    statement: str
    opened_by_id: int
    opened_at: datetime
    response_deadline: datetime
    responses: dict[str, str] = Field(description="brand/provider: responded, waiting or not_responding")
    provider_amount: int | None
    decision_reason: str | None
    evidence: list[EvidenceOut]
    history: list[DisputeEventOut]


class DisputeCreated(BaseModel):
    id: int
    status: Literal["open"]


class DisputeStatusOut(BaseModel):
    id: int
    status: str


class DisputePage(BaseModel):
    items: list[DisputeOut]
    page: int
    per_page: int
    total: int


class DisputeQueueQuery(PageQuery):
    status: Literal["open", "resolved", "withdrawn"] = "open"
    reason: DisputeReason | None = None
    overdue: bool = False


# --- reviews and ratings -------------------------------------------------------------------------

class Scores(BaseModel):
    quality: int = Field(ge=1, le=5)
    communication: int = Field(ge=1, le=5)
    timeliness: int = Field(ge=1, le=5)
    professionalism: int = Field(ge=1, le=5)


class ReviewIn(BaseModel):
    scores: Scores
    comment: str = Field("", max_length=5000)


class ReviewOut(BaseModel):
    id: int
    contract_id: int
    author_role: Literal["brand", "provider"]
    scores: Scores
    comment: str
    created_at: datetime
    reply: str | None
    hidden: bool


class ReviewList(BaseModel):
    items: list[ReviewOut]


class ReplyIn(BaseModel):
    reply: str = Field(max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(max_length=2000)


class ProviderListQuery(PageQuery):
    category: Category | None = None
    province: Literal[PROVINCES] | None = None  # type: ignore[valid-type]
    city: str | None = Field(None, max_length=64)
    min_stars: int | None = Field(None, ge=3, le=6)
    verified: bool | None = None


class RatingPoint(BaseModel):
    computed_at: datetime
    score: float
    stars: int | None


class RatingHistory(BaseModel):
    items: list[RatingPoint]


class JobOut(BaseModel):
    status: Literal["queued", "started", "finished", "failed", "deferred", "scheduled", "stopped", "canceled"]
    progress: dict | None = None
    result: dict | int | None = None


class JobStarted(BaseModel):
    job_id: str


# --- payouts -------------------------------------------------------------------------------------

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
