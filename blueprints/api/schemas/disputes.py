"""Disputes over a milestone: opening, evidence, decisions and the staff queue."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Amount, Out, PageQuery

PartyReason = Literal["not_delivered", "quality", "scope_change", "late", "unresponsive", "kpi_figures", "other"]
DisputeReason = Literal[PartyReason, "account_suspended"]  # staff open disputes for a suspended account


class DisputeIn(BaseModel):
    reason: PartyReason
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


class CorrectionRejectIn(BaseModel):
    reason: str = Field(max_length=5000)


class CorrectionOut(BaseModel):
    """A staff correction of a decided dispute. Who proposed and who decided it are shown to staff;
    the parties see null there ("platform staff") and only corrections that were applied."""

    id: int
    dispute_id: int
    amount: int
    direction: Literal["to_brand", "to_provider"]
    reason: str
    status: Literal["pending", "applied", "rejected"]
    proposed_by_id: int | None
    proposed_at: datetime
    decided_by_id: int | None = Field(description="who approved (applied) or rejected it")
    decided_at: datetime | None
    decision_reason: str | None = Field(description="why it was rejected")
    posting: str | None = Field(description="the ledger posting's key, once applied")


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
    corrections: list[CorrectionOut]


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
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class DisputeQueueQuery(PageQuery):
    status: Literal["open", "resolved", "withdrawn"] = "open"
    reason: DisputeReason | None = None
    overdue: bool = False
