"""A tender's public board: questions and answers, addenda, invitations and recommended providers."""
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from blueprints.api.schemas.common import Out
from blueprints.api.schemas.providers import ProviderOut


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
