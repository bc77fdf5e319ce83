"""Providers' margin deposit (保证金, issue 18): a provider holds money on the platform as a pledge of
good conduct; a tender (or its category) may require it to bid, and staff may award part of it to a
brand after a dispute the provider lost.

Money: a `provider_margin` ledger account per provider, in MARGIN_CURRENCY. Every move is one keyed
posting: `margin-in:` (from payable earnings), `bank:` (a bank transfer carrying the provider's
transfer reference, services.bank_statements), `margin-award:<award id>` (to the brand's wallet),
`margin-out:` (back to payable earnings after the cool-off, then paid by the payout batch). Each move
out locks the margin account and reads its balance under the lock, so an award racing a withdrawal
settles exactly once and the account never goes negative.
Four eyes: an award above CORRECTION_APPROVAL_THRESHOLD waits for a second staff member, as dispute
corrections do (services.disputes).
This module must not import services.bidding or services.disputes (bidding asks it whether a provider
may bid; disputes imports bidding).
"""
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from extensions import db
from i18n import duration, money
from models import (
    CategoryMargin,
    Contract,
    Dispute,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    MarginAward,
    Milestone,
    Tender,
    User,
)
from models.catalog import CATEGORIES
from models.contract import ContractStatus
from models.dispute import DisputeStatus
from models.margin import AwardStatus
from models.status import transition
from models.types import utcnow
from services import audit, destinations, ledger, notifications, permissions
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get

MARGIN_CURRENCY = "CNY"
COOL_OFF = timedelta(days=30)
MAX_AMOUNT = 10**13
IN_KINDS = ("margin_in", "margin_deposit")  # postings that bring money to a margin (earnings, bank transfer)


def account(provider_id: int) -> LedgerAccount:
    return ledger.account("provider_margin", MARGIN_CURRENCY, user_id=provider_id)


def held(provider_id: int) -> int:
    """What the provider (its organisation's principal id) holds as margin, in MARGIN_CURRENCY minor units."""
    found = db.session.scalar(select(LedgerAccount).where(LedgerAccount.key == ledger.account_key(
        "provider_margin", MARGIN_CURRENCY, user_id=provider_id)))
    return int(ledger.balance(found)) if found is not None else 0


def category_requirements() -> dict[str, int]:
    """Every category's required margin (0 where staff set none)."""
    set_ = dict(db.session.execute(select(CategoryMargin.category, CategoryMargin.amount)).all())
    return {category: int(set_.get(category, 0)) for category in CATEGORIES}


def required_for(tender: Tender) -> int:
    """The margin a bidder must hold: the tender's own requirement or its category's, whichever is more."""
    by_category = db.session.scalar(select(CategoryMargin.amount).where(CategoryMargin.category == tender.category))
    return max(int(tender.margin_required or 0), int(by_category or 0))


def bid_problem(provider: User, tender: Tender) -> Conflict | None:
    """409 `margin_required` when the provider holds less margin than the tender asks (services.bidding)."""
    required = required_for(tender)
    have = held(provider.account_id) if required else 0
    if have < required:
        return Conflict(_l("This tender asks bidders to hold a margin deposit of %(required)s; you hold %(held)s.",
                           required=money(required, MARGIN_CURRENCY), held=money(have, MARGIN_CURRENCY)),
                        code="margin_required")
    return None


@dataclass(frozen=True)
class MarginStatus:
    held: int
    currency: str
    required: dict[str, int]
    withdrawable_from: object | None  # when the cool-off ends (None: nothing blocks but the open work)
    blocked_by_open_work: bool


def status_of(provider: User) -> MarginStatus:
    _as_provider(provider, "statements.read")
    principal = provider.account_id
    return MarginStatus(held=held(principal), currency=MARGIN_CURRENCY, required=category_requirements(),
                        withdrawable_from=_cool_off_ends(principal), blocked_by_open_work=_has_open_work(principal))


def _as_provider(user: User | None, action: str) -> None:
    if user is None or not user.is_provider:
        raise Forbidden(_l("Only providers hold a margin deposit."))
    permissions.require(user, action)


def _amount_errors(amount, currency) -> dict:
    return {
        "amount": not (isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_AMOUNT)
        and _l("Enter a positive amount in minor units."),
        "currency": currency != MARGIN_CURRENCY
        and _l("The margin deposit is held in %(currency)s.", currency=MARGIN_CURRENCY),
    }


def _take(acc: LedgerAccount, amount: int, message, code: str) -> None:
    """Lock `acc` and make sure it holds `amount` (read under the lock)."""
    ledger.lock(acc)
    if ledger.balance(acc) < amount:
        raise Conflict(message, code=code, fields={"amount": message})


# --- paying in ------------------------------------------------------------------------------------

def pay_from_earnings(actor: User, amount, currency) -> LedgerPosting:
    """Move `amount` of the provider's payable earnings into its margin."""
    _as_provider(actor, "payout.manage")
    check(_amount_errors(amount, currency))
    payable = ledger.payable(actor.account_id, currency)
    _take(payable, amount, _l("Your payable earnings do not cover this amount."), "insufficient_funds")
    return ledger.post(f"margin-in:{actor.account_id}:{uuid.uuid4().hex}", "margin_in",
                       [(payable, -amount), (account(actor.account_id), amount)], memo="margin deposit",
                       actor_id=actor.id, meta={"provider_id": actor.account_id})


def credit_bank_transfer(line, provider: User, source: LedgerAccount, key: str, actor_id: int | None) -> None:
    """A statement line carrying the provider's transfer reference pays its margin (services.bank_statements)."""
    ledger.post(key, "margin_deposit", [(source, -line.amount), (account(provider.id), line.amount)],
                memo=f"bank transfer {line.reference}", actor_id=actor_id, reference=line.transaction_id,
                meta={"provider_id": provider.id, "statement_line_id": line.id})
    notifications.notify([provider.id], "margin_received", to=destinations.PAYOUTS, amount=line.amount,
                         currency=line.currency)


# --- taking it back after the cool-off -----------------------------------------------------------

def _has_open_work(provider_id: int) -> bool:
    open_contract = select(Contract.id).where(Contract.provider_id == provider_id,
                                              Contract.status == ContractStatus.ACTIVE)
    open_dispute = (select(Dispute.id).join(Milestone, Milestone.id == Dispute.milestone_id)
                    .join(Contract, Contract.id == Milestone.contract_id)
                    .where(Contract.provider_id == provider_id, Dispute.status == DisputeStatus.OPEN))
    return db.session.scalar(select(or_(open_contract.exists(), open_dispute.exists()))) or False


def _cool_off_ends(provider_id: int):
    """COOL_OFF after the latest of: money paid into the margin, a contract completed, a dispute closed."""
    paid_in = db.session.scalar(
        select(func.max(LedgerPosting.created_at)).join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.kind == "provider_margin", LedgerAccount.user_id == provider_id, LedgerEntry.amount > 0))
    completed = db.session.scalar(select(func.max(Contract.completed_at)).where(Contract.provider_id == provider_id))
    closed = db.session.scalar(select(func.max(Dispute.closed_at)).join(Milestone, Milestone.id == Dispute.milestone_id)
                               .join(Contract, Contract.id == Milestone.contract_id)
                               .where(Contract.provider_id == provider_id))
    latest = max((t for t in (paid_in, completed, closed) if t is not None), default=None)
    return latest + COOL_OFF if latest is not None else None


def withdraw(actor: User, amount, currency) -> LedgerPosting:
    """Back to payable earnings (the payout batch pays it) — only after the cool-off, with no contract or
    dispute open."""
    _as_provider(actor, "payout.manage")
    check(_amount_errors(amount, currency))
    principal = actor.account_id
    margin = account(principal)
    ledger.lock(margin)  # also orders this after an award being applied: both read the balance under it
    if _has_open_work(principal):
        raise Conflict(_l("A margin deposit cannot be withdrawn while a contract or dispute is open."),
                       code="margin_in_use")
    ends = _cool_off_ends(principal)
    if ends is not None and ends > utcnow():
        raise Conflict(_l("The margin deposit can be withdrawn %(period)s after your last contract, dispute or "
                          "payment into it ended.", period=duration(COOL_OFF)), code="margin_cool_off")
    if ledger.balance(margin) < amount:
        raise Conflict(_l("You hold less margin than that."), code="insufficient_margin",
                       fields={"amount": _l("At most what you hold.")})
    return ledger.post(f"margin-out:{principal}:{uuid.uuid4().hex}", "margin_out",
                       [(margin, -amount), (ledger.payable(principal, currency), amount)],
                       memo="margin deposit withdrawn", actor_id=actor.id, meta={"provider_id": principal})


# --- staff: requirements and awards --------------------------------------------------------------

def _staff(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise Forbidden(_l("Only platform staff manage margin deposits."))


def set_category(staff: User, category: str, amount) -> CategoryMargin:
    _staff(staff)
    check({"category": category not in CATEGORIES and _l("Choose a category from the list."),
           "amount": not (isinstance(amount, int) and not isinstance(amount, bool) and 0 <= amount <= MAX_AMOUNT)
           and _l("Enter zero or a positive amount.")})
    row = db.session.get(CategoryMargin, category, with_for_update=True)
    before = {"amount": row.amount if row else 0, "currency": MARGIN_CURRENCY}
    if row is None:
        row = CategoryMargin(category=category, amount=amount, updated_by_id=staff.id)
        db.session.add(row)
    else:
        row.amount, row.updated_by_id = amount, staff.id
    db.session.flush()
    audit.record(staff, "margin.category_set", "category_margin", None, before=before,
                 after={"category": category, "amount": amount, "currency": MARGIN_CURRENCY})
    return row


def approval_threshold() -> int:
    return current_app.config["CORRECTION_APPROVAL_THRESHOLD"]


def _awardable(dispute_id: int) -> Dispute:
    """The dispute, locked, if staff decided it against the provider (the brand got money back)."""
    dispute = locked_get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound()
    if dispute.status != DisputeStatus.RESOLVED or dispute.provider_amount is None:
        raise Conflict(_l("Only a decided dispute can award a margin."), code="not_resolved")
    milestone = dispute.milestone
    if dispute.provider_amount >= milestone.amount:
        raise Conflict(_l("This dispute was not decided against the provider: its margin stays."),
                       code="not_against_provider")
    if milestone.currency != MARGIN_CURRENCY:
        raise Conflict(_l("The margin deposit is held in %(currency)s; this dispute is in another currency.",
                          currency=MARGIN_CURRENCY), code="currency_mismatch")
    return dispute


def _bounds(dispute: Dispute, amount: int) -> None:
    """All awards of a dispute together stay within the dispute's amount, and within what the margin holds."""
    milestone = dispute.milestone
    awarded = db.session.scalar(select(func.coalesce(func.sum(MarginAward.amount), 0)).where(
        MarginAward.dispute_id == dispute.id, MarginAward.status != AwardStatus.REJECTED))
    if awarded + amount > milestone.amount:
        raise Conflict(_l("Awards of this dispute's margin can total at most the disputed amount (%(left)s left).",
                          left=money(milestone.amount - awarded, milestone.currency)), code="exceeds_dispute_amount",
                       fields={"amount": _l("Too much for this dispute.")})
    if held(milestone.contract.provider_id) < amount:
        raise Conflict(_l("The provider holds less margin than that."), code="insufficient_margin",
                       fields={"amount": _l("At most what the provider holds.")})


def _audit(staff: User, action: str, award: MarginAward, reason: str | None = None) -> None:
    audit.record(staff, action, "dispute", award.dispute_id,
                 after={"margin_award_id": award.id, "amount": award.amount, "currency": award.currency,
                        "status": award.status},
                 reason=reason, affected_user_id=award.provider_id)


def award(staff: User, dispute_id: int, amount, reason: str) -> MarginAward:
    """Award part of the provider's margin to the brand of a dispute decided against the provider. Above
    the approval threshold it only waits for a second staff member (`approve_award`)."""
    _staff(staff)
    reason = (reason or "").strip()
    check({"amount": not (isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_AMOUNT)
           and _l("Enter a positive amount in minor units."),
           "reason": not 3 <= len(reason) <= 5000 and _l("Explain the award (3 to 5000 characters).")})
    dispute = _awardable(dispute_id)
    if db.session.scalar(select(MarginAward.id).where(MarginAward.dispute_id == dispute.id,
                                                      MarginAward.status == AwardStatus.PENDING)):
        raise Conflict(_l("A margin award of this dispute waits for approval: approve or reject it first."),
                       code="award_pending")
    _bounds(dispute, amount)
    contract = dispute.milestone.contract
    row = MarginAward(dispute_id=dispute.id, provider_id=contract.provider_id, brand_id=contract.brand_id,
                      amount=amount, currency=MARGIN_CURRENCY, reason=reason, proposed_by_id=staff.id,
                      status=AwardStatus.PENDING.value)
    db.session.add(row)
    db.session.flush()
    if amount > approval_threshold():
        _audit(staff, "margin.award_propose", row, reason)
        return row
    _apply(staff, row)
    _audit(staff, "margin.award", row, reason)
    return row


def _apply(staff: User, row: MarginAward) -> None:
    margin = account(row.provider_id)
    _take(margin, row.amount, _l("The provider holds less margin than that."), "insufficient_margin")
    ledger.post(f"margin-award:{row.id}", "margin_award",
                [(margin, -row.amount), (ledger.account("brand_wallet", row.currency, user_id=row.brand_id),
                                         row.amount)],
                memo=row.reason, actor_id=staff.id, reference=f"dispute:{row.dispute_id}",
                meta={"margin_award_id": row.id, "proposed_by": row.proposed_by_id, "approved_by": staff.id})
    transition(row, AwardStatus.APPLIED)
    row.decided_by_id, row.decided_at = staff.id, utcnow()
    notifications.notify([row.brand_id], "margin_awarded", to=destinations.WALLET, amount=row.amount,
                         currency=row.currency)


def _pending(staff: User, award_id: int) -> MarginAward:
    _staff(staff)
    row = db.session.get(MarginAward, award_id)
    if row is None:
        raise NotFound()
    _awardable(row.dispute_id)  # the dispute locked: two staff deciding at once go one after the other
    row = locked_get(MarginAward, award_id)
    if not row.is_pending:
        raise Conflict(_l("This award is already decided."), code="already_decided")
    if row.proposed_by_id == staff.id:
        raise Conflict(_l("A second staff member must approve an award you proposed."), code="four_eyes")
    return row


def approve_award(staff: User, award_id: int) -> MarginAward:
    row = _pending(staff, award_id)
    _apply(staff, row)
    _audit(staff, "margin.award_approve", row)
    return row


def reject_award(staff: User, award_id: int, reason: str) -> MarginAward:
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 2000 and _l("Explain why (3 to 2000 characters).")})
    row = _pending(staff, award_id)
    transition(row, AwardStatus.REJECTED)
    row.decided_by_id, row.decided_at = staff.id, utcnow()
    _audit(staff, "margin.award_reject", row, reason)
    return row


def pending_awards(limit: int = 100) -> list[MarginAward]:
    return db.session.scalars(select(MarginAward).where(MarginAward.status == AwardStatus.PENDING)
                              .order_by(MarginAward.id).limit(limit)).all()
