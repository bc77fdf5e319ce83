"""What surrounds a tender while it is open: questions and answers, addenda, invitations."""
from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow


class TenderQuestion(db.Model):
    """A provider's question; the brand's answer is public and never names who asked."""

    __tablename__ = "tender_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[object | None] = mapped_column(UTCDateTime())


class TenderAddendum(db.Model):
    """A published change to the tender; records how it moved the bid deadline."""

    __tablename__ = "tender_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    deadline_before: Mapped[object] = mapped_column(UTCDateTime())
    deadline_after: Mapped[object] = mapped_column(UTCDateTime())
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)


class TenderInvitation(db.Model):
    __tablename__ = "tender_invitations"
    __table_args__ = (UniqueConstraint("tender_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tenders.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    provider = relationship("User")
    tender = relationship("Tender", back_populates="invitations")
