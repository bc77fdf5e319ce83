"""Reconciliation runs: staff run the daily check now and read its differences."""
from datetime import date, datetime

from pydantic import BaseModel, Field


class ReconcileIn(BaseModel):
    since: datetime | date | None = Field(
        None, description="Compare Stripe's balance transactions from this moment on (a date: its first moment in "
                          "UTC; a time without a zone: UTC). Default: yesterday, UTC.")
    settle_minutes: int = Field(15, ge=0, le=7 * 24 * 60,
                                description="Stripe objects younger than this are left to the next run.")


class RunOut(BaseModel):
    id: int
    ok: bool | None
    started_at: datetime
    finished_at: datetime | None = None
    trigger: str = Field(description="schedule, cli, api or finance_page")
    started_by: int | None = Field(None, description="the staff member who asked, if any")
    since: datetime | None = None
    settle_minutes: int | None = None
    checked: dict[str, int] = Field(description="per check, how many things it compared")
    differences: list[dict] = Field(description="{check, subject, expected, actual, detail, currency?, …}; "
                                                "amounts in minor units")
