"""The daily reconciliation's record: what each run checked and every difference it found."""
from sqlalchemy import Boolean
from sqlalchemy.orm import Mapped, mapped_column
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
