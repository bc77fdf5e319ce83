"""Chargebacks: a card payment's holder disputed it with their bank (a Stripe "dispute"), and its history.

Not to be confused with models.dispute (a brand and a provider disagreeing, decided by staff): here the
card network takes the money back from the platform's Stripe balance, and the platform answers with
evidence. services/chargebacks.py has the rules (who bears the loss) and the postings.
"""
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from extensions import db
from models.status import status_check
from models.types import UTCDateTime, utcnow


class ChargebackStatus(StrEnum):
    """A dispute's status as Stripe reports it (the `warning_*` ones are inquiries: no money moved)."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"


_C = ChargebackStatus
FINAL = (_C.WARNING_CLOSED, _C.WON, _C.LOST, _C.PREVENTED)  # Stripe's decision is in; nothing changes after
OPEN = tuple(s for s in _C if s not in FINAL)
# Stripe decides and the webhook tells; an open case may move between any open statuses (Stripe's events
# can come in any order) or to its final one, and a final one never moves again.
CHARGEBACK_TRANSITIONS = {**{s: set(_C) - {s} for s in OPEN}, **{s: set() for s in FINAL}}


class LossBearer(StrEnum):
    """Who bears the money taken back (services.chargebacks.LOSS_RULES says when each applies)."""

    ESCROW = "escrow"  # the milestone was still in escrow: that money covers it, the milestone is frozen
    PLATFORM = "platform"  # released already: the platform absorbs it (the default)
    PROVIDER = "provider"  # released, and staff found the provider at fault: capped recovery from its payouts
    UNKNOWN = "unknown"  # a charge Witkey does not know: finance looks into it


class Chargeback(db.Model):
    __tablename__ = "chargebacks"
    __table_args__ = (status_check(ChargebackStatus), status_check(LossBearer, "loss_bearer"))
    Status, TRANSITIONS = ChargebackStatus, CHARGEBACK_TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(100), unique=True)  # du_…
    charge_id: Mapped[str] = mapped_column(String(100), index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # None when the charge is not one of ours (recorded for finance all the same)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # disputed, minor units
    fee: Mapped[int] = mapped_column(BigInteger, default=0)  # Stripe's dispute fee, once withdrawn
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))  # Stripe's: fraudulent, product_not_received …
    status: Mapped[str] = mapped_column(String(24), index=True)
    evidence_due_by: Mapped[object | None] = mapped_column(UTCDateTime())
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # the text fields staff drafted / sent
    evidence_submitted_at: Mapped[object | None] = mapped_column(UTCDateTime())
    # Where the milestone was when the escrow covered the chargeback (to put it back if it is won).
    milestone_status_before: Mapped[str | None] = mapped_column(String(24))
    loss_bearer: Mapped[str] = mapped_column(String(16))
    recovery_cap: Mapped[int | None] = mapped_column(BigInteger)  # set when the provider bears it
    recovery_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime())
    stripe_updated_at: Mapped[object | None] = mapped_column(UTCDateTime())  # the newest event applied
    opened_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime())

    milestone = relationship("Milestone")
    contract = relationship("Contract")
    decided_by = relationship("User")
    events = relationship("ChargebackEvent", order_by="ChargebackEvent.id", cascade="all, delete-orphan")

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def provider_bears(self) -> bool:
        return self.loss_bearer == LossBearer.PROVIDER

    @property
    def outcome(self) -> str | None:
        return self.status if self.is_final else None


class ChargebackEvent(db.Model):
    """The case's history and audit trail: every Stripe event applied (once: its id is unique) and every
    staff action, who and when. Append-only."""

    __tablename__ = "chargeback_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    chargeback_id: Mapped[int] = mapped_column(ForeignKey("chargebacks.id", ondelete="CASCADE"), index=True)
    stripe_event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # "charge.dispute.created", "evidence_submitted" …
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)

    actor = relationship("User")
