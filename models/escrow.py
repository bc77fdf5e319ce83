"""What happens to a milestone: deliveries (numbered, files hashed), change requests, the activity
history, and stored answers of money-moving requests (Idempotency-Key). Stripe payments: models.stripe."""
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.types import StoredFileColumns, UTCDateTime, utcnow


class MilestoneDelivery(db.Model):
    __tablename__ = "milestone_deliveries"
    __table_args__ = (UniqueConstraint("milestone_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(Text)
    links: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    files = relationship("DeliveryFile", cascade="all, delete-orphan", order_by="DeliveryFile.id")


class DeliveryFile(StoredFileColumns, db.Model):
    __tablename__ = "delivery_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("milestone_deliveries.id", ondelete="CASCADE"), index=True)


class MilestoneEvent(db.Model):
    """The activity history of a milestone, in order: who did what, when."""

    __tablename__ = "milestone_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    actor = relationship("User")


class IdempotentRequest(db.Model):
    """The first successful answer to a money-moving request, replayed for the same key and user."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # method, path and body of the first request
    status_code: Mapped[int] = mapped_column()
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
