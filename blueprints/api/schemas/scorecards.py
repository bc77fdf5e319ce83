"""Scorecards: the panel, conflict declarations, grades, closing a round's grading, consensus, the board."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import RoundKind
from blueprints.api.schemas.tenders import CriterionIn


class PanelIn(BaseModel):
    user_ids: list[int] = Field(max_length=50, description="members of the tender's organisation who may grade")


class SeatOut(BaseModel):
    user_id: int
    declared_at: datetime | None
    conflict: bool | None = Field(description="null until declared")
    note: str


class PanelOut(BaseModel):
    members: list[SeatOut]


class DeclarationIn(BaseModel):
    conflict: bool
    note: str | None = Field(None, max_length=2000, description="required when declaring a conflict")


class GradesIn(BaseModel):
    round: RoundKind
    scores: dict[str, int] = Field(description='{"<criterion>": 0–10}')


class GradesOut(BaseModel):
    bid_id: int
    round: RoundKind
    scores: dict[str, int]


class RoundIn(BaseModel):
    round: RoundKind


class ClosureOut(BaseModel):
    round: RoundKind
    closed_at: datetime


class ConsensusIn(BaseModel):
    round: RoundKind
    score: int = Field(ge=0, le=100)
    reason: str | None = Field(None, max_length=2000, description="required when it differs from the weighted mean")


class ConsensusOut(BaseModel):
    bid_id: int
    round: RoundKind
    score: int
    reason: str


class GraderOut(BaseModel):
    user_id: int
    marks: dict[str, int]
    weighted_total: float | None = Field(description="0–100; null until every weighted criterion is marked")


class BoardProvider(BaseModel):
    id: int
    name: str


class BoardBid(BaseModel):
    bid_id: int
    provider: BoardProvider | None = Field(description="null to blind graders")
    status: str
    graders: list[GraderOut] = Field(description="before grading closes: only the viewer's own")
    weighted_mean: float | None
    spread: float | None
    disagreement: bool
    failed_deal_breakers: list[str]
    consensus: ConsensusOut | None


class BoardRoundOut(BaseModel):
    round: RoundKind
    criteria: list[CriterionIn]
    grading_closed_at: datetime | None
    bids: list[BoardBid]


class BoardOut(BaseModel):
    tender_id: int
    blind_grading: bool
    disagreement_spread: int
    rounds: list[BoardRoundOut]
    panel: list[SeatOut] | None = Field(description="with declarations; to those who run the tender")
