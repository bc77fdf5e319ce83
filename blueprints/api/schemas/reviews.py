"""Reviews of the other party after a contract or a contest prize, replies and moderation."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


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
    contract_id: int | None = Field(description="The contract reviewed; null for a contest prize's review")
    contest_id: int | None = Field(description="For a contest prize's review: the contest; else null")
    contest_award_id: int | None = Field(description="For a contest prize's review: the prize (award); else null")
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
