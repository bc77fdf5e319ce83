"""In-app notifications. Stored as a kind plus parameters and rendered in the reader's language; where
one leads is stored as a web endpoint with its route's arguments (and an optional fragment), turned
into a URL only when read.

Each reader chooses per kind how a notice reaches them (`NotificationPreference`): in the app only, by
e-mail at once, or in a daily digest. A notice waiting for the digest carries `digest_pending`; the
digest job sends at most one digest per user and local date (`NotificationDigest`, unique)."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import JSON

from extensions import db
from models.types import UTCDateTime, utcnow

DELIVERIES = ("in_app", "email", "digest")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),
                      Index("ix_notifications_digest_pending", "digest_pending", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    endpoint: Mapped[str | None] = mapped_column(String(80))  # e.g. "contracts.detail"; None: leads nowhere
    url_args: Mapped[dict] = mapped_column(JSON, default=dict)  # the route's parameters, e.g. {"contract_id": 5}
    anchor: Mapped[str | None] = mapped_column(String(80))  # a fragment on that page, e.g. "milestone-12"
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime())
    digest_pending: Mapped[bool] = mapped_column(default=False, server_default=false())


class NotificationPreference(db.Model):
    """A reader's choice for one kind; a kind without a row takes the default (services.notification_prefs)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint("delivery IN ('in_app', 'email', 'digest')", name="delivery_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10))


class NotificationDigest(db.Model):
    """One sent digest: the unique (user, local date) is the key that makes a second run send nothing."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[object] = mapped_column(Date)
    notices: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
