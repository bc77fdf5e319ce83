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
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)
    unread: int


class NotificationQuery(PageQuery):
    unread: bool = False


class NotificationPreferencesOut(BaseModel):
    preferences: dict[str, str] = Field(description="every kind of notice → in_app | email | digest")
    deliveries: list[str] = Field(description="the deliveries a kind can take")
    digest_hour: int = Field(description="the local hour the daily digest leaves (in `timezone`)")
    timezone: str
    email_notifications: bool = Field(description="the account's e-mail switch: off, nothing is e-mailed")


class NotificationPreferencesIn(BaseModel):
    preferences: dict[str, str] = Field(max_length=100, description="the kinds to change → in_app | email | "
                                        "digest; kinds not named keep their setting")
