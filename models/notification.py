"""In-app notifications. Stored as a kind plus parameters and rendered in the reader's language; where
one leads is stored as a web endpoint with its route's arguments (and an optional fragment), turned
into a URL only when read."""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from extensions import db
from models.types import UTCDateTime, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    endpoint: Mapped[str | None] = mapped_column(String(80))  # e.g. "contracts.detail"; None: leads nowhere
    url_args: Mapped[dict] = mapped_column(JSON, default=dict)  # the route's parameters, e.g. {"contract_id": 5}
    anchor: Mapped[str | None] = mapped_column(String(80))  # a fragment on that page, e.g. "milestone-12"
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime())
