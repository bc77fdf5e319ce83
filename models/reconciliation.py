"""The daily reconciliation's record: what each run checked and every difference it found."""
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.types import UTCDateTime, utcnow


class ReconciliationRun(db.Model):
    """One run of the daily check; differences are listed for finance and never fixed by the job."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool | None] = mapped_column(Boolean)
    checked: Mapped[dict] = mapped_column(JSON, default=dict)  # what was checked, with counts
    differences: Mapped[list] = mapped_column(JSON, default=list)  # [{check, subject, detail, ...}]
    # Who asked (the audit of staff runs): "schedule", "cli", "api" or "finance_page", and the staff member.
    trigger: Mapped[str] = mapped_column(String(16), default="schedule", server_default="schedule")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The window: Stripe's balance transactions from `since` on, and objects younger than `settle_seconds`
    # left to the next run.
    since: Mapped[object | None] = mapped_column(UTCDateTime())
    settle_seconds: Mapped[int | None] = mapped_column(Integer)

    started_by = relationship("User")
