"""The caller's notifications."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import PageQuery


class NotificationOut(BaseModel):
    id: int
    kind: str
    message: str = Field(description="in the caller's language (Accept-Language)")
    params: dict
    link: str
    created_at: datetime
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    unread: int


class NotificationQuery(PageQuery):
    unread: bool = False
