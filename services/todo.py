"""What needs me now: the home page's items per role, also served as GET /api/v1/me/todo (issue 17, item 2).

Each kind of item is one query, whatever the data size (lists are capped at LIMIT rows per kind), so a
brand's home page costs the same number of statements with 3 tenders or 3,000 (tests/test_todo.py counts
them). Items name where the thing is done as an endpoint and its arguments; the web and API layers turn
that into a URL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select

from extensions import db
from models import (
    Bid,
    BrandProfile,
    ContestReport,
    Contract,
    Dispute,
    Message,
    Milestone,
    Payout,
    ProviderProfile,
    ReviewReport,
    Tender,
    TenderInvitation,
    User,
)
from models.bid import BidStatus
from models.contest import ReportStatus
from models.contract import ContractStatus, MilestoneStatus
from models.dispute import DisputeStatus
from models.payout import PayoutStatus
from models.tender import TenderStatus
from models.types import utcnow
from services import conversations

LIMIT = 10  # items per kind: the home page shows what is next, the linked pages show everything
CLOSING_SOON = timedelta(days=3)


@dataclass(frozen=True)
class Todo:
    kind: str
    title: str
    endpoint: str
    args: dict = field(default_factory=dict)
    anchor: str | None = None
    due_at: datetime | None = None
    count: int | None = None


def for_user(user: User, unread_messages: int | None = None) -> list[Todo]:
    """`unread_messages`: the count when the caller has it already (the page header counts it too)."""
    if user.is_admin:
        return _staff()
    items = _brand(user) if user.is_brand else _provider(user)
    if unread_messages is None:
        unread_messages = conversations.unread_total(user)
    if (unread := unread_messages):
        items.append(Todo("messages_unread", _("%(n)d unread messages", n=unread), "conversations.index",
                          count=unread))
    return items


def _milestone(kind: str, title: str, m: Milestone, due_at) -> Todo:
    return Todo(kind, title, "contracts.detail", {"contract_id": m.contract_id}, f"milestone-{m.id}", due_at)


def _disputes(account_id: int) -> list[Todo]:
    rows = db.session.execute(
        select(Dispute.id, Dispute.response_deadline, Milestone.title).join(Milestone, Dispute.milestone)
        .join(Contract, Milestone.contract)
        .where(Dispute.status == DisputeStatus.OPEN.value,
               or_(Contract.brand_id == account_id, Contract.provider_id == account_id))
        .order_by(Dispute.response_deadline).limit(LIMIT))
    return [Todo("dispute_open", _("Dispute on “%(title)s”: evidence due", title=title), "disputes.detail",
                 {"dispute_id": did}, due_at=deadline) for did, deadline, title in rows]


def _brand(user: User) -> list[Todo]:
    account, now = user.account_id, utcnow()
    items = [Todo("tender_closing", _("“%(title)s” closes for bids", title=t.title), "tenders.detail",
                  {"tender_id": t.id}, due_at=t.bid_deadline)
             for t in db.session.scalars(
                 select(Tender).where(Tender.brand_id == account, Tender.stored_status == TenderStatus.OPEN.value,
                                      Tender.bid_deadline > now, Tender.bid_deadline <= now + CLOSING_SOON)
                 .order_by(Tender.bid_deadline).limit(LIMIT))]
    for tender_id, title, n in db.session.execute(
            select(Tender.id, Tender.title, func.count(Bid.id)).join(Bid, Bid.tender_id == Tender.id)
            .where(Tender.brand_id == account, Tender.status == TenderStatus.EVALUATING.value,
                   Bid.status == BidStatus.SUBMITTED.value)
            .group_by(Tender.id, Tender.title).order_by(Tender.id).limit(LIMIT)):
        items.append(Todo("bids_to_review", _("%(n)d bids to review on “%(title)s”", n=n, title=title),
                          "evaluation.board", {"tender_id": tender_id}, count=n))
    release_after = timedelta(days=current_app.config["AUTO_RELEASE_DAYS"])
    for m in db.session.scalars(
            select(Milestone).join(Contract, Milestone.contract)
            .where(Contract.brand_id == account, Contract.status == ContractStatus.ACTIVE.value,
                   Milestone.status.in_((MilestoneStatus.PENDING.value, MilestoneStatus.DELIVERED.value)))
            .order_by(Milestone.due_at).limit(2 * LIMIT)):
        if m.status == MilestoneStatus.DELIVERED:
            items.append(_milestone("delivery_to_accept", _("Accept or ask for changes: “%(title)s” (released "
                                                            "automatically at the date shown)", title=m.title),
                                    m, m.delivered_at + release_after))
        else:
            items.append(_milestone("milestone_to_fund", _("Fund “%(title)s”", title=m.title), m, m.due_at))
    return items + _disputes(account)


def _provider(user: User) -> list[Todo]:
    account = user.account_id
    has_bid = exists().where(Bid.tender_id == Tender.id, Bid.provider_id == account)
    items = [Todo("invitation", _("You are invited to bid on “%(title)s”", title=t.title), "tenders.detail",
                  {"tender_id": t.id}, due_at=t.bid_deadline)
             for t in db.session.scalars(
                 select(Tender).join(TenderInvitation, and_(TenderInvitation.tender_id == Tender.id,
                                                            TenderInvitation.provider_id == account))
                 .where(Tender.status == TenderStatus.OPEN.value, ~has_bid)
                 .order_by(Tender.bid_deadline).limit(LIMIT))]
    items += [Todo("bid_in_progress", _("Your bid on “%(title)s” is in the running", title=title), "tenders.detail",
                   {"tender_id": tender_id}, "my-bid", due_at=deadline)
              for tender_id, title, deadline in db.session.execute(
                  select(Tender.id, Tender.title, Tender.bid_deadline).join(Bid, Bid.tender_id == Tender.id)
                  .where(Bid.provider_id == account, Bid.status == BidStatus.SUBMITTED.value)
                  .order_by(Tender.bid_deadline).limit(LIMIT))]
    for m in db.session.scalars(
            select(Milestone).join(Contract, Milestone.contract)
            .where(Contract.provider_id == account,
                   Milestone.status.in_((MilestoneStatus.FUNDED.value, MilestoneStatus.CHANGES_REQUESTED.value)))
            .order_by(Milestone.due_at).limit(LIMIT)):
        if m.status == MilestoneStatus.CHANGES_REQUESTED:
            items.append(_milestone("changes_requested", _("Changes requested on “%(title)s”", title=m.title),
                                    m, m.due_at))
        else:
            items.append(_milestone("work_due", _("Deliver “%(title)s”", title=m.title), m, m.due_at))
    return items + _disputes(account)


def _queue(kind: str, title: str, endpoint: str, count: int, oldest) -> Todo | None:
    return Todo(kind, title, endpoint, due_at=oldest, count=count) if count else None


def _staff() -> list[Todo]:
    """Queue sizes with the oldest item's time (a dispute's: its earliest deadline), one query each."""
    def stat(model, when, *where):
        return db.session.execute(select(func.count(), func.min(when)).select_from(model).where(*where)).one()

    queues = [
        ("verifications", _("Provider verifications waiting"), "admin.providers",
         stat(ProviderProfile, ProviderProfile.updated_at, ProviderProfile.verification_status == "pending")),
        ("brand_verifications", _("Brand verifications waiting"), "admin.brands",
         stat(BrandProfile, BrandProfile.verification_requested_at, BrandProfile.verification_status == "pending")),
        ("disputes", _("Open disputes, earliest deadline shown"), "disputes.queue",
         stat(Dispute, Dispute.response_deadline, Dispute.status == DisputeStatus.OPEN.value)),
        ("reported_reviews", _("Reported reviews"), "reviews.reports",
         stat(ReviewReport, ReviewReport.created_at, ReviewReport.handled_at.is_(None))),
        ("reported_messages", _("Reported messages"), "conversations.reported",
         stat(Message, Message.reported_at, Message.reported_at.is_not(None))),
        ("copy_reports", _("Contest entries reported as copies"), "admin.contest_reports_queue",
         stat(ContestReport, ContestReport.created_at, ContestReport.status == ReportStatus.OPEN.value)),
        ("failed_payouts", _("Failed payouts"), "payouts.batches",
         stat(Payout, Payout.created_at, Payout.status == PayoutStatus.FAILED.value)),
    ]
    return [item for kind, title, endpoint, (n, oldest) in queues
            if (item := _queue(kind, _("%(what)s: %(n)d", what=title, n=n), endpoint, n, oldest))]
