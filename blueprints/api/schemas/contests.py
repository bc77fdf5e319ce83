"""Contests (比稿): publishing with funded prizes, entries, shortlist, award, cancel."""
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Currency

VisualCategory = Literal["photography", "design", "video"]
IpTerms = Literal["full_transfer", "exclusive_licence", "non_exclusive_licence"]
ContestStatusName = Literal["open", "selecting", "awarded", "cancelled"]


class ContestIn(BaseModel):
    title: str = Field(max_length=200)
    category: VisualCategory
    brief: str = Field(max_length=20000)
    prizes: list[int] = Field(min_length=1, max_length=10,
                              description="minor units, one per winner, the first the largest; their total is "
                                          "taken from the brand's wallet into escrow now")
    currency: Currency = "CNY"
    entry_deadline: AwareDatetime = Field(description="ISO 8601 with offset; entries close then")
    selection_days: int | None = Field(None, description="days after entries close for the brand to pick "
                                                         "(1–30, default 7); then the worker splits the prize")
    blind: bool = Field(True, description="entrants never see each other's entries")
    deliverable_spec: str = Field("", max_length=5000, description="what the winner hands over (formats, sizes)")
    min_stars: int | None = Field(None, description="3–6; providers below it (or without stars) cannot enter")
    ip_terms: IpTerms = "full_transfer"
    handover_days: int = Field(7, description="1–60: days the brand has to confirm the winner's handover")


class ContestPrizeOut(BaseModel):
    rank: int
    amount: int


class ContestHandoverFileOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    url: str = Field(description="the file as handed over (the winner, the brand and staff)")


class ContestAwardOut(BaseModel):
    id: int
    entry_id: int
    rank: int
    amount: int = Field(description="the prize share before commission, minor units")
    commission: int
    handover_state: Literal["pending", "delivered", "confirmed"]
    handover_delivered_at: datetime | None
    handover_confirmed_at: datetime | None
    handover_auto: bool = Field(description="confirmed by itself after the handover days")
    handover_files: list[ContestHandoverFileOut] | None = Field(
        description="the winner's full-resolution files: for the winner, the brand and staff (null to others)")


class ContestOut(BaseModel):
    id: int
    brand_id: int
    title: str
    category: VisualCategory
    brief: str
    deliverable_spec: str
    status: ContestStatusName
    currency: str
    prize_total: int = Field(description="minor units; held in escrow from publish until award or refund")
    prizes: list[ContestPrizeOut]
    entry_deadline: datetime
    selection_deadline: datetime
    blind: bool
    guaranteed: bool
    min_stars: int | None
    ip_terms: IpTerms
    handover_days: int
    entry_count: int = Field(description="active entries (anonymised: no entrant is named)")
    shortlisted_count: int
    awards: list[ContestAwardOut] = Field(description="who won what, once awarded")
    auto_awarded: bool = Field(description="the worker split the prize because the brand did not pick in time")
    created_at: datetime


class ContestCreatedOut(BaseModel):
    id: int
    status: ContestStatusName


class ContestStatusOut(BaseModel):
    id: int
    status: ContestStatusName


class ContestEntryFileOut(BaseModel):
    id: int
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="of the stored (cleaned) image: proof of what was submitted, and when")
    uploaded_at: datetime
    url: str | None = Field(description="the original; null while the viewer sees only the watermarked preview")
    thumbnail_url: str | None = Field(description="a JPEG of at most 320 px, once the image job made it")
    preview_url: str | None = Field(description="a watermarked JPEG of at most 1200 px, once the image job made it")


class ContestEntryOut(BaseModel):
    id: int
    contest_id: int
    provider_id: int = Field(description="the entrant (the brand and staff always know it; other entrants "
                                         "see entries only when the contest is not blind)")
    note: str
    status: Literal["active", "withdrawn", "removed"]
    shortlisted: bool
    rating: int | None = Field(description="the brand's 1–5 stars: shown to the brand and the entrant only")
    feedback: str | None = Field(description="the brand's private feedback: shown to the brand and the entrant only")
    submitted_at: datetime
    revised_at: datetime | None
    files: list[ContestEntryFileOut] = Field(description="every version, oldest first; the last is the current one")


class ContestEntryIdOut(BaseModel):
    id: int


class ContestEntryPage(BaseModel):
    items: list[ContestEntryOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class ContestEntryIdsIn(BaseModel):
    entry_ids: list[int] = Field(max_length=100)


class ContestRatingIn(BaseModel):
    rating: int = Field(description="1–5 stars")
    feedback: str = Field("", max_length=2000, description="private: only the entrant reads it")


class ContestStaffCancelIn(BaseModel):
    reason: str = Field(max_length=1000, description="the rule the contest broke")


class ContestReportIn(BaseModel):
    reason: str = Field(max_length=2000, description="what was copied, and from where")
    original_entry_id: int | None = Field(None, description="the earlier entry of this contest it copies, if any")


class ContestReportDecisionIn(BaseModel):
    uphold: bool = Field(description="true: the entry is removed (a strike on its provider); false: dismissed")
    note: str = Field("", max_length=1000)


class ContestReportOut(BaseModel):
    id: int
    entry_id: int
    status: Literal["open", "upheld", "dismissed"]


class ContestOfferIn(BaseModel):
    price: int = Field(gt=0, le=10**13, description="minor units of the contest's currency; taken from the "
                                                     "brand's wallet into escrow when the entrant accepts")
    message: str = Field("", max_length=2000)


class ContestOfferOut(BaseModel):
    id: int
    contest_id: int
    entry_id: int
    brand_id: int
    provider_id: int
    price: int
    currency: str
    message: str
    status: Literal["offered", "accepted", "declined", "withdrawn", "expired"]
    created_at: datetime
    expires_at: datetime = Field(description="unanswered by then, the offer expires")
    decided_at: datetime | None = None
    contract_id: int | None = Field(None, description="the one-milestone contract an accepted offer made")


class ContestOfferPage(BaseModel):
    items: list[ContestOfferOut]
    page: int
    per_page: int
    total: int
