"""Two envelopes and best-and-final offers (issue 15 items 4 and 5)."""
from pydantic import AwareDatetime, BaseModel, Field


class TechnicalIn(BaseModel):
    passed: bool
    reason: str | None = Field(None, max_length=2000, description="required when failing: the provider is told")


class BafoIn(BaseModel):
    bid_ids: list[int] = Field(min_length=1, max_length=50, description="shortlisted bids of this tender")
    closes_at: AwareDatetime = Field(description="ISO 8601 with offset; 1 hour to 60 days from now")
