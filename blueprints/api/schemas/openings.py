"""The audit of openings: who of the brand opened which bid, or downloaded which of its files, and when."""
from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class OpeningOut(BaseModel):
    bid_id: int
    user_id: int
    email: str
    what: Literal["contents", "file"]
    attachment_id: int | None
    opened_at: datetime


class OpeningList(BaseModel):
    items: list[OpeningOut]
