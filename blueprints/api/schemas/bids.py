"""Bids, their files and revisions, and the brand's evaluation of them (scores, rounds, slots, award)."""
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Amount, Currency, Out, RoundKind


class MilestonePlanIn(BaseModel):
    title: str = Field(max_length=200)
    amount: int = Amount
    due_days: int = Field(ge=1, le=3650, description="days after award")


class BidIn(BaseModel):
    amount: int | None = Field(None, ge=0, le=10**13, description="minor units: the bid's total (fixed), the fee "
                                                                  "per period (retainer); metered bids leave it out")
    currency: Currency = "CNY"
    delivery_days: int = Field(ge=1, le=3650)
    proposal: str = Field(max_length=50000, description="Markdown; raw HTML is not rendered")
    milestones: list[MilestonePlanIn] = Field([], max_length=20,
                                              description="fixed tenders: 1–20, amounts summing to `amount`; "
                                                          "retainer and metered tenders: none (periods are milestones)")
    unit_price: int | None = Field(None, ge=0, le=10**13, description="metered: the price of one unit, minor units")
    cap_per_period: int | None = Field(None, ge=0, le=10**13,
                                       description="metered: the most one period may cost, minor units")


class BidPatch(BaseModel):
    """Only the fields sent change; the rest keep their value."""
    amount: int | None = Field(None, ge=0, le=10**13)
    currency: Currency | None = None
    delivery_days: int | None = Field(None, ge=1, le=3650)
    proposal: str | None = Field(None, max_length=50000)
    milestones: list[MilestonePlanIn] | None = Field(None, max_length=20)
    unit_price: int | None = Field(None, ge=0, le=10**13)
    cap_per_period: int | None = Field(None, ge=0, le=10**13)


class ProviderSummary(BaseModel):
    id: int
    display_name: str
    verified: bool
    stars: int | None


class MilestonePlanOut(Out):
    title: str
    amount: int | None = Field(description="null while the price envelope is sealed from this viewer")
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
    unit_price: int | None = None
    cap_per_period: int | None = None
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
    price_sealed: bool = Field(False, description="two envelopes: the technical envelope is open to this viewer, the "
                                                  "price (amount, the plan's amounts) not yet; a final offer is sealed "
                                                  "until its round closes")
    technical_result: Literal["passed", "failed"] | None = Field(None, description="two envelopes: the technical "
                                                                                   "stage's verdict")
    first_offer: "RevisionOut | None" = Field(None, description="after a best-and-final-offer round: the offer it "
                                                                "replaced (the bid's fields are the final offer)")
    final_offer_closes_at: datetime | None = Field(None, description="the bid was asked for a best and final offer: "
                                                                     "until when it is taken")


class BidPage(BaseModel):
    items: list[BidOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class RevisionOut(Out):
    number: int
    amount: int | None = Field(description="null while the price envelope is sealed from this viewer")
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
