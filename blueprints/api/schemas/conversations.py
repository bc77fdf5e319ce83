"""Conversations between a brand and one provider, about a tender or a contract."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out


class ConversationIn(BaseModel):
    tender_id: int | None = None
    contract_id: int | None = None
    with_user_id: int | None = Field(None, description="the provider, when a brand writes about a tender")
    body: str = Field(max_length=5000)


class MessageIn(BaseModel):
    body: str = Field(max_length=5000)


class ReportIn(BaseModel):
    reason: str = Field("", max_length=500)


class MessageOut(Out):
    id: int
    conversation_id: int
    sender_id: int
    sender_account_id: int
    body: str
    contact_warning: bool = Field(description="contact details before a contract exists: a warning, not a block")
    created_at: datetime
    reported: bool
    files: list[str] = Field(description="attachment names")


class ConversationOut(BaseModel):
    id: int
    tender_id: int | None
    contract_id: int | None
    brand_id: int
    provider_id: int
    with_name: str = Field(description="the other party's name")
    subject: str = Field(description="the tender's title (a contract's: its tender's)")
    last_message_at: datetime
    unread: int


class ConversationOpened(ConversationOut):
    message: MessageOut


class ConversationList(BaseModel):
    items: list[ConversationOut]


class MessageList(BaseModel):
    items: list[MessageOut]


class ReadOut(BaseModel):
    last_read_id: int
