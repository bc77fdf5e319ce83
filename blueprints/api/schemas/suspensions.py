"""Account suspensions (staff): suspend, lift, hold payouts, decide the one appeal."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from blueprints.api.schemas.common import Out

Reason = Field(min_length=10, max_length=2000, description="10 to 2000 characters; recorded in the audit log")


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=10, max_length=2000, description="shown to the user (sign-in page and e-mail)")
    hold_payouts: bool = Field(False, description="providers only: payout batches leave its payable until released")
    hold_reason: str = Field("", max_length=2000, description="why payouts are held; empty: the reason above")


class SuspensionReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Reason


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["uphold", "lift"]
    reason: str = Field(min_length=10, max_length=2000, description="sent to the user")


class SuspensionOut(Out):
    id: int
    user_id: int
    reason: str
    suspended_by_id: int
    suspended_at: datetime
    lifted_at: datetime | None
    lifted_by_id: int | None
    lift_reason: str | None
    appeal_text: str | None
    appealed_at: datetime | None
    appeal_decision: Literal["upheld", "lifted"] | None
    appeal_decided_by_id: int | None
    appeal_decided_at: datetime | None
    appeal_decision_reason: str | None
    payouts_held: bool
    payout_hold_reason: str | None


class SuspensionPage(BaseModel):
    items: list[SuspensionOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)
