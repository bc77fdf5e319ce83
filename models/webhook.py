"""Webhooks (issue 20): endpoints an account registers, the events its changes produce, and each
attempt to hand an event to an endpoint.

- `WebhookEndpoint`: belongs to an organisation's principal (`account_id`, as `users.account_id`);
  staff endpoints (`platform`) may hear every event. `secret` signs deliveries; after a rotation
  `previous_secret` signs too until `previous_expires_at` (the overlap). `failure_streak` counts
  failed attempts in a row; past the limit the endpoint is disabled (`disabled_at`, `disabled_reason`).
- `WebhookEvent`: written in the transaction of the change it reports; `audience` lists the accounts
  that may see it (`public`: anyone may, as a public tender).
- `WebhookDelivery`: one event for one endpoint; `resource` orders deliveries: an endpoint gets the
  events of one resource in the order they happened.
"""
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    platform: Mapped[bool] = mapped_column(Boolean, default=False)  # a staff endpoint: every event
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON, default=list)  # event types, or ["*"]
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(80))
    previous_secret: Mapped[str | None] = mapped_column(String(80))
    previous_expires_at: Mapped[object | None] = mapped_column(UTCDateTime())
    failure_streak: Mapped[int] = mapped_column(default=0)
    disabled_at: Mapped[object | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str | None] = mapped_column(String(40))  # "failures" or "owner"
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[object | None] = mapped_column(UTCDateTime())


class WebhookEvent(db.Model):
    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)  # "evt_…", what receivers see
    type: Mapped[str] = mapped_column(String(60), index=True)
    resource: Mapped[str] = mapped_column(String(60))  # "bid:12"
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    audience: Mapped[list] = mapped_column(JSON, default=list)  # account ids that may see it
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # retried for RETRY_FOR and gave up (a redelivery is a new row)


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (status_check(DeliveryStatus),
                      Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_webhook_deliveries_chain", "endpoint_id", "resource", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    resource: Mapped[str] = mapped_column(String(60))
    Status = DeliveryStatus
    TRANSITIONS = {DeliveryStatus.PENDING: (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)}

    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None] = mapped_column()
    response_ms: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    endpoint = relationship(WebhookEndpoint)
    event = relationship(WebhookEvent)
