"""Background jobs started through the API."""
from typing import Literal

from pydantic import BaseModel


class JobOut(BaseModel):
    status: Literal["queued", "started", "finished", "failed", "deferred", "scheduled", "stopped", "canceled"]
    progress: dict | None = None
    result: dict | int | None = None


class JobStarted(BaseModel):
    job_id: str
