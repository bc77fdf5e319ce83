"""Webhook endpoints and their delivery log."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import PageQuery

Status = Literal["pending", "delivered", "failed"]


class EndpointIn(BaseModel):
    url: str = Field(max_length=2000, description="https only; private and loopback addresses are refused "
                                                  "(422) unless the server runs with WEBHOOK_ALLOW_PRIVATE=1")
    events: list[str] = Field(max_length=100, description='event types (see the list), or ["*"] for every event '
                                                          "the account may see")
    description: str = Field("", max_length=500)


class EndpointPatch(BaseModel):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description="false switches the endpoint off; true on again (its failure "
                                                   "count starts over, and what waited is sent)")


class EndpointOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_at: datetime | None = None
    disabled_reason: Literal["failures", "owner"] | None = None
    failure_streak: int
    rotation_overlap_until: datetime | None = Field(None, description="the previous secret signs too until then")
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="the signing secret: shown this once")


class EndpointList(BaseModel):
    items: list[EndpointOut]


class RotateIn(BaseModel):
    overlap_hours: int = Field(24, ge=0, le=168, description="how long the old secret keeps signing too")


class WebhookDeliveryOut(BaseModel):
    id: int
    event_id: str
    type: str
    status: Status
    status_code: int | None = None
    attempts: int
    response_ms: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[WebhookDeliveryOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class DeliveryQuery(PageQuery):
    pass
