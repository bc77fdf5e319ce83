"""The staff audit log: every action platform staff take, who, when, on what, before/after, why."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.types import UTCDateTime, utcnow


class StaffAction(db.Model):
    """Append-only: rows are written by services.audit.record in the same transaction as the change
    they describe (so a rolled-back action leaves no entry, and a committed one always has its entry)
    and are never updated or deleted."""

    __tablename__ = "staff_actions"
    __table_args__ = (
        Index("ix_staff_actions_subject", "subject_type", "subject_id"),
        Index("ix_staff_actions_actor_created", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the command line (`flask users create-admin`), run by whoever operates the server
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # dotted verb naming the domain and what was done, e.g. "provider.verify", "dispute.decide"
    action: Mapped[str] = mapped_column(String(64), index=True)
    # what was acted on: a kind ("provider", "dispute", "user", ...) and its id
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column()
    # the user whose account the action touches (for "everything staff did to this account")
    affected_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # the second account an action touches, when there are two (a dispute decision: the brand beside the provider)
    other_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    actor = relationship("User", foreign_keys=[actor_id])
    affected_user = relationship("User", foreign_keys=[affected_user_id])
    other_user = relationship("User", foreign_keys=[other_user_id])
