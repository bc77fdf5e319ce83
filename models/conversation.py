"""Private threads between a brand and one provider: one per tender and provider, one per contract."""
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import StoredFileColumns, UTCDateTime, utcnow


class Conversation(db.Model):
    """`key` ("tender:<id>:<provider>" or "contract:<id>") is unique, so two first messages racing to
    open the same thread end up in one row (the loser reads the winner's)."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("(tender_id IS NULL) <> (contract_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # organisations' principals
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    tender = relationship("Tender")
    contract = relationship("Contract")
    brand = relationship("User", foreign_keys=[brand_id])
    provider = relationship("User", foreign_keys=[provider_id])


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sender_account_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the side it came from
    body: Mapped[str] = mapped_column(Text)
    # Contact details before a contract exists: warned about, never blocked (shown to both sides).
    contact_warning: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    reported_at: Mapped[object | None] = mapped_column(UTCDateTime(), index=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report_reason: Mapped[str | None] = mapped_column(Text)

    sender = relationship("User", foreign_keys=[sender_id])
    files = relationship("MessageFile", cascade="all, delete-orphan", order_by="MessageFile.id")


class MessageFile(StoredFileColumns, db.Model):
    __tablename__ = "message_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)


class ConversationRead(db.Model):
    """How far each member has read a thread (per person, not per organisation)."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_read_id: Mapped[int] = mapped_column(default=0)
