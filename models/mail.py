"""Outgoing e-mail: one row per message, written in the transaction of the event it reports and sent
after commit by a worker (services.mail, workers.jobs.send_mail). The message is rendered when it is
written, in the recipient's language, so a send retried later says exactly the same thing."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class OutgoingMail(db.Model):
    __tablename__ = "outgoing_mail"
    # The sweep reads the unsent ones: a partial index would do on PostgreSQL, this one works everywhere.
    __table_args__ = (Index("ix_outgoing_mail_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))  # the template: verify_email, password_reset, notification…
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Fixed when the row is written: a retry resends the same Message-ID, so a receiving server (or
    # reader) can tell a rare second delivery for what it is.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # When a sender may next take it: the creation time at first; pushed ahead (and committed) before
    # each hand-over to the server, so a second sender keeps off and a worker killed between sending
    # and marking is retried only after that lease; after a failure, the backoff. None: given up.
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime())
