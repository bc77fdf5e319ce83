"""Milestones in escrow: fund, deliver, request changes, accept → release, auto-release, cancel.

Every status change goes through `transition` (the rules are models.contract.MILESTONE_TRANSITIONS);
`allowed_actions` tells the pages which of these moves a user may make now, by the same table;
every money movement through services.ledger, in the same transaction as the change it belongs to.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from i18n.labels import MILESTONE_STATUS_LABELS
from models import Contract, DeliveryFile, LedgerAccount, Milestone, MilestoneDelivery, MilestoneEvent, User
from models.contract import SETTLED, ContractStatus, MilestoneStatus
from models.status import IllegalTransition, can_move
from models.status import transition as change_status
from models.types import utcnow
from services import (
    card_refunds,
    destinations,
    ledger,
    notifications,
    period_money,
    permissions,
    platform_invoices,
    reviews,
    storage,
    webhooks,
)
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.rating_jobs import request_recompute

REMIND_BEFORE = timedelta(days=2)  # the brand is reminded this long before an auto-release


def milestone_for(viewer: User | None, milestone_id: int, *, lock: bool = False, options=()) -> Milestone:
    """The milestone if the viewer is its contract's brand or provider (or staff); else 404. `options`:
    loader options for what the caller reads along with it (its contract…), in the same statement."""
    milestone = (locked_get(Milestone, milestone_id, options) if lock
                 else db.session.get(Milestone, milestone_id, options=options))
    if milestone is None or viewer is None or not (
            viewer.is_admin or viewer.account_id in (milestone.contract.brand_id, milestone.contract.provider_id)):
        raise NotFound()
    return milestone


def as_brand(actor: User, milestone_id: int, action: str = "milestone.accept") -> Milestone:
    """The milestone, row-locked, for a member of its brand whose role may do `action`."""
    milestone = milestone_for(actor, milestone_id, lock=True)
    if actor.account_id != milestone.contract.brand_id:
        raise Forbidden(_l("Only the contract's brand can do that."))
    permissions.require(actor, action, milestone)
    return milestone


def _as_provider(actor: User, milestone_id: int) -> Milestone:
    milestone = milestone_for(actor, milestone_id, lock=True)
    if actor.account_id != milestone.contract.provider_id:
        raise Forbidden(_l("Only the contract's provider can do that."))
    permissions.require(actor, "milestone.deliver", milestone)
    return milestone


def transition(milestone: Milestone, status: MilestoneStatus, actor: User | None, note: str = "", **data) -> None:
    """The one place a milestone's status changes (the allowed moves are MILESTONE_TRANSITIONS)."""
    try:
        change_status(milestone, status)
    except IllegalTransition:
        raise Conflict(_l("This milestone cannot go from “%(old)s” to “%(new)s”.",
                          old=_status_label(milestone.status), new=_status_label(status)),
                       code="illegal_transition") from None
    milestone.events.append(MilestoneEvent(kind=str(status), actor_id=actor.id if actor else None, note=note,
                                           data=data))


def restore_after_dispute(milestone: Milestone, status: MilestoneStatus, actor: User, dispute_id: int) -> None:
    """Put a milestone back where it was before a dispute that its opener withdrew (an undo:
    models.contract.MILESTONE_UNDO)."""
    try:
        change_status(milestone, status, undo=True)
    except IllegalTransition:
        raise Conflict(_l("This milestone is not under a dispute."), code="illegal_transition") from None
    milestone.events.append(MilestoneEvent(kind=str(status), actor_id=actor.id,
                                           data={"dispute_withdrawn": dispute_id}))
    if status == MilestoneStatus.DELIVERED:  # the review period starts again from now
        milestone.delivered_at = utcnow()
        milestone.release_reminder_sent_at = None


def restore_after_chargeback(milestone: Milestone, status: str, dispute_id: str) -> None:
    """Put a milestone frozen by a chargeback back where it was, once the chargeback is won (an undo:
    models.contract.MILESTONE_UNDO); its escrow was refilled in the same transaction."""
    change_status(milestone, status, undo=True)
    milestone.events.append(MilestoneEvent(kind=str(status), actor_id=None, data={"chargeback_won": dispute_id}))
    if status == MilestoneStatus.DELIVERED:  # the review period starts again from now
        milestone.delivered_at = utcnow()
        milestone.release_reminder_sent_at = None


def _status_label(status: str):
    return MILESTONE_STATUS_LABELS.get(status, status)


def _link(milestone: Milestone) -> destinations.Destination:
    return destinations.milestone(milestone.contract_id, milestone.id)


# --- what a page offers ----------------------------------------------------------------------------------

# Each action a page offers, the side that may take it, the status it moves the milestone to and the
# organisation permission it needs: an action is offered when the user is on that side, its role
# allows it and the move is allowed now, by the same table `transition` consults (and the service
# checks it again when the action is taken).
ACTIONS = {
    "fund": ("brand", MilestoneStatus.FUNDED, "milestone.fund"),
    "cancel": ("brand", MilestoneStatus.CANCELLED, "milestone.fund"),
    "accept": ("brand", MilestoneStatus.RELEASED, "milestone.accept"),
    "request_changes": ("brand", MilestoneStatus.CHANGES_REQUESTED, "milestone.accept"),
    "deliver": ("provider", MilestoneStatus.DELIVERED, "milestone.deliver"),
    "dispute": ("either", MilestoneStatus.DISPUTED, "dispute.manage"),
}


def allowed_actions(milestone: Milestone, user: User | None) -> frozenset[str]:
    """The actions (keys of ACTIONS) `user` may take on the milestone now; staff act elsewhere."""
    contract, account_id = milestone.contract, getattr(user, "account_id", None)
    sides = {side for side, party in (("brand", contract.brand_id), ("provider", contract.provider_id))
             if account_id is not None and account_id == party}
    if sides:
        sides.add("either")
    return frozenset(action for action, (side, target, permission) in ACTIONS.items()
                     if side in sides and can_move(milestone, target)
                     and permissions.allowed(user, permission, milestone))


def awaiting_funding(milestone: Milestone) -> bool:
    """Nothing is in escrow yet and the brand can still fund it (the provider waits to start)."""
    return can_move(milestone, MilestoneStatus.FUNDED)


def commission(milestone: Milestone) -> int:
    """The platform's commission on what releasing the milestone now pays its provider, in minor units."""
    return ledger.commission_of(period_money.settlement(milestone).to_provider, current_app.config["COMMISSION_BPS"])


def net_on_release(milestone: Milestone) -> int:
    """What the provider receives if the milestone is released now: its share (the amount, or a
    period's fee or usage with KPI bonus and penalty) less the commission."""
    return period_money.settlement(milestone).to_provider - commission(milestone)


# --- funding -----------------------------------------------------------------------------------------

@dataclass
class FundResult:
    # "funded"; "awaiting_payment" while Stripe collects the card; "awaiting_confirmation": the
    # organisation's two-member rule holds it for a second member
    status: str
    client_secret: str | None = None


def mark_funded(milestone: Milestone, actor: User | None, source: str) -> None:
    """Record the funded state (the caller has posted the money into escrow in this transaction)."""
    transition(milestone, MilestoneStatus.FUNDED, actor, source=source)
    milestone.funded_at = utcnow()
    milestone.funded_amount = milestone.amount
    notifications.notify([milestone.contract.provider_id], "milestone_funded", to=_link(milestone),
                         milestone=milestone.title)
    webhooks.milestone_event("milestone.funded", milestone)


def fund_from_wallet(actor: User, milestone: Milestone) -> FundResult:
    """Ledger backend: move the amount from the brand's wallet into the milestone's escrow."""
    wallet = ledger.wallet(actor, milestone.currency)
    ledger.lock(wallet)  # two fundings cannot both spend the same balance
    if ledger.balance(wallet) < milestone.amount:
        raise Conflict(_l("Your wallet does not cover this milestone. Record a bank transfer first."),
                       code="insufficient_funds")
    ledger.post(f"fund:milestone:{milestone.id}", "fund",
                [(wallet, -milestone.amount), (ledger.escrow(milestone), milestone.amount)],
                memo=milestone.title, milestone_id=milestone.id, actor_id=actor.id)
    mark_funded(milestone, actor, "wallet")
    return FundResult(status="funded")


# --- delivery and acceptance ---------------------------------------------------------------------------

def links_error(links: list[str]):
    if len(links) > 10:
        return _l("At most 10 links.")
    for link in links:
        try:
            parts = urlsplit(link)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 500:
            return _l("Links must be http(s) addresses.")
    return None


def deliver(actor: User, milestone_id: int, note: str, links: list[str] | None = None,
            files: list[tuple[object, str]] | None = None) -> MilestoneDelivery:
    """A numbered delivery round with its note, links and files (each stored with its SHA-256)."""
    milestone = _as_provider(actor, milestone_id)
    note, links = (note or "").strip(), [link.strip() for link in (links or []) if link.strip()]
    check({"note": not 1 <= len(note) <= 5000 and _l("Describe what you deliver (up to 5000 characters)."),
           "links": links_error(links)})
    version = len(milestone.deliveries) + 1
    transition(milestone, MilestoneStatus.DELIVERED, actor, note=note, version=version)
    delivery = MilestoneDelivery(version=version, note=note, links=links)
    for stream, filename in files or []:
        stored = storage.save(stream, filename, f"deliveries/{milestone.id}", actor.id)
        delivery.files.append(DeliveryFile.from_stored(stored))
    milestone.deliveries.append(delivery)
    milestone.delivered_at = utcnow()  # the auto-release clock starts (again)
    milestone.release_reminder_sent_at = None
    db.session.flush()
    notifications.notify([milestone.contract.brand_id], "milestone_delivered", to=_link(milestone),
                         milestone=milestone.title, days=current_app.config["AUTO_RELEASE_DAYS"])
    webhooks.milestone_event("milestone.delivered", milestone)
    return delivery


def request_changes(actor: User, milestone_id: int, note: str) -> Milestone:
    milestone = as_brand(actor, milestone_id)
    note = (note or "").strip()
    check({"note": not 3 <= len(note) <= 5000 and _l("Say what needs to change (3 to 5000 characters).")})
    transition(milestone, MilestoneStatus.CHANGES_REQUESTED, actor, note=note, version=len(milestone.deliveries))
    milestone.delivered_at = None  # the clock stops until the next delivery
    notifications.notify([milestone.contract.provider_id], "changes_requested", to=_link(milestone),
                         milestone=milestone.title, note=note)
    webhooks.milestone_event("milestone.changes_requested", milestone)
    return milestone


def accept(actor: User, milestone_id: int) -> Milestone:
    milestone = as_brand(actor, milestone_id)
    release(milestone, actor)
    return milestone


def take_escrow(milestone: Milestone) -> LedgerAccount:
    """The milestone's escrow account, locked, after checking it holds exactly the milestone's amount:
    money can leave escrow once, whatever else raced with this request."""
    account = ledger.escrow(milestone)
    ledger.lock(account)
    if ledger.balance(account) != milestone.amount:
        raise Conflict(_l("This milestone's escrow has already been paid out."), code="escrow_empty")
    return account


def release(milestone: Milestone, actor: User | None, *, auto: bool = False) -> None:
    """Escrow → provider payable (its share − commission) and platform revenue (the commission); what
    the provider does not get (unused metered cap, unearned KPI bonus, penalty) back to the brand's
    wallet — all in one posting (services.engagements.settlement decides the split). A card-paid
    milestone's return goes back to the card instead (services.card_refunds)."""
    transition(milestone, MilestoneStatus.RELEASED, actor, auto=auto)
    held = take_escrow(milestone)
    split = period_money.settlement(milestone)
    card = card_refunds.card_payment_of(milestone) if split.to_brand else None
    bps = current_app.config["COMMISSION_BPS"]
    cut = ledger.commission_of(split.to_provider, bps)
    # Nothing goes back: no wallet line (a card-funded brand keeps no wallet); a card's share goes to the card.
    returned = [(card_refunds.brand_side(milestone, card), split.to_brand)] if split.to_brand else []
    ledger.post(f"release:milestone:{milestone.id}", "release",
                [(held, -milestone.amount),
                 (ledger.payable(milestone.contract.provider_id, milestone.currency), split.to_provider - cut),
                 (ledger.revenue(milestone.currency), cut), *returned],
                memo=milestone.title, milestone_id=milestone.id, actor_id=actor.id if actor else None,
                meta={"commission": cut, "commission_bps": bps, "auto": auto, "base": split.base_due,
                      "bonus": split.bonus, "penalty": split.penalty, "quantity": split.quantity,
                      "returned": split.to_brand, "returned_to_card": bool(card)})
    if card is not None:
        card_refunds.owe_refund(card, f"refund:release:{milestone.id}", split.to_brand)
    milestone.released_amount = split.to_provider
    milestone.released_at = utcnow()
    platform_invoices.record(milestone)  # the platform's invoice for the commission it just took
    request_recompute(milestone.contract.provider_id)
    notifications.notify([milestone.contract.provider_id, milestone.contract.brand_id],
                         "milestone_auto_released" if auto else "milestone_released", to=_link(milestone),
                         actor=None if auto else actor, milestone=milestone.title)
    webhooks.milestone_event("milestone.released", milestone)
    complete_if_settled(milestone.contract)


def complete_if_settled(contract: Contract) -> None:
    """End the contract once every milestone is settled: completed if any work was paid for (released
    or decided), cancelled if every milestone was dropped unfunded — a contract where no money moved
    is no track record. Two milestones settled at once each hold only their own row: the contract's
    lock makes them check in turn, and the later one reads both."""
    contract = locked_get(Contract, contract.id)
    statuses = db.session.scalars(select(Milestone.status).where(Milestone.contract_id == contract.id)).all()
    if contract.status == ContractStatus.ACTIVE and all(status in SETTLED for status in statuses):
        paid = any(status != MilestoneStatus.CANCELLED for status in statuses)
        change_status(contract, ContractStatus.COMPLETED if paid else ContractStatus.CANCELLED)
        contract.completed_at = utcnow()
        reviews.contract_ended(contract)
        request_recompute(contract.provider_id)  # its completed contracts (and stars) may have moved


# --- the clock -----------------------------------------------------------------------------------------

def release_due_at(milestone: Milestone) -> datetime | None:
    if milestone.status != MilestoneStatus.DELIVERED or milestone.delivered_at is None:
        return None
    return milestone.delivered_at + timedelta(days=current_app.config["AUTO_RELEASE_DAYS"])


def due_for_release(now: datetime) -> list[int]:
    cutoff = now - timedelta(days=current_app.config["AUTO_RELEASE_DAYS"])
    return list(db.session.scalars(select(Milestone.id).where(Milestone.status == MilestoneStatus.DELIVERED,
                                                              Milestone.delivered_at <= cutoff)
                                   .order_by(Milestone.delivered_at)))


def auto_release(milestone_id: int, now: datetime) -> bool:
    """Release one due milestone; False if it is no longer due (accepted, disputed, changed, done)."""
    milestone = locked_get(Milestone, milestone_id)
    due = release_due_at(milestone) if milestone else None
    if due is None or due > now:
        return False
    release(milestone, None, auto=True)
    return True


def remind_before_release(now: datetime) -> int:
    """Tell each brand once, two days before a delivered milestone releases by itself."""
    days = current_app.config["AUTO_RELEASE_DAYS"]
    cutoff = now - timedelta(days=days) + REMIND_BEFORE
    due = db.session.scalars(select(Milestone).where(Milestone.status == MilestoneStatus.DELIVERED,
                                                     Milestone.delivered_at <= cutoff,
                                                     Milestone.release_reminder_sent_at.is_(None))
                             .with_for_update(skip_locked=True)).all()
    for milestone in due:
        milestone.release_reminder_sent_at = now
        notifications.notify([milestone.contract.brand_id], "release_reminder", to=_link(milestone),
                             milestone=milestone.title, when=release_due_at(milestone).isoformat())
    return len(due)
