"""Brands withdraw unspent wallet money to their bank account (issue 18; models.withdrawal has the
life of one request and its postings).

Available = the wallet's balance minus what the brand's milestones waiting for a second member's
confirmation would take (money already in escrow has left the wallet). The wallet account is locked
(services.ledger.lock) before the balance is read, so parallel requests and fundings queue behind one
another and together never take more than the balance.
This module never imports services.payouts: payouts calls `settle_payout` when a withdrawal payout
is marked paid or failed, and the batch runner calls `take_into_batch`.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import Contract, FundRequest, Milestone, Payout, PayoutAccount, PayoutBatch, User, Withdrawal
from models.catalog import CURRENCIES
from models.contract import MilestoneStatus
from models.payout import PayoutStatus
from models.status import transition
from models.types import utcnow
from models.withdrawal import WithdrawalStatus
from services import audit, destinations, ledger, notifications, permissions
from services.accounts import require_verified_email
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import paginate

MAX_AMOUNT = 10**13


def hold(brand_id: int, currency: str):
    """Where a brand's requested and approved withdrawals wait until a payout batch takes them."""
    return ledger.account("withdrawal_hold", currency, user_id=brand_id)


def _awaiting_confirmation(brand_id: int, currency: str) -> int:
    """What the brand's milestones being funded (asked for, waiting for a second member) will take."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Milestone.amount), 0)).join(FundRequest, FundRequest.milestone_id == Milestone.id)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.brand_id == brand_id, Milestone.currency == currency,
               Milestone.status == MilestoneStatus.PENDING, FundRequest.confirmed_at.is_(None))))


def available(user: User, currency: str) -> int:
    """The wallet money a withdrawal may take now."""
    return max(int(ledger.balance(ledger.wallet(user, currency))) - _awaiting_confirmation(user.account_id, currency),
               0)


def _as_brand_finance(user: User) -> None:
    if user is None or not user.is_brand:
        raise Forbidden(_l("Only brands withdraw wallet money."))
    permissions.require(user, "wallet.manage")


def bank_account(user: User) -> PayoutAccount | None:
    """The brand's bank details (kept where providers' payout details are; see services.payout_accounts)."""
    account = db.session.get(PayoutAccount, user.account_id)
    return account if account is not None and account.has_bank_details else None


def bank_accounts(brand_ids) -> dict[int, PayoutAccount]:
    """Brands' bank details by brand id (for staff's queue; one query)."""
    return {a.provider_id: a for a in db.session.scalars(select(PayoutAccount)
                                                         .where(PayoutAccount.provider_id.in_(list(brand_ids))))}


def request(actor: User, amount, currency) -> Withdrawal:
    """Hold `amount` out of the wallet for a withdrawal staff will approve or refuse."""
    _as_brand_finance(actor)
    require_verified_email(actor)
    check({
        "amount": not (isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_AMOUNT)
        and _l("Enter a positive amount in minor units."),
        "currency": currency not in CURRENCIES and _l("Choose a supported currency."),
    })
    if bank_account(actor) is None:
        raise Conflict(_l("Enter your company's bank account first: the money is sent there."),
                       code="no_bank_account")
    wallet = ledger.wallet(actor, currency)
    ledger.lock(wallet)  # parallel withdrawals and fundings read the balance one after the other
    if available(actor, currency) < amount:
        raise Conflict(_l("The amount is more than your wallet's available balance."), code="insufficient_funds",
                       fields={"amount": _l("At most your available balance.")})
    withdrawal = Withdrawal(brand_id=actor.account_id, requested_by_id=actor.id, amount=amount, currency=currency,
                            status=WithdrawalStatus.REQUESTED.value)
    db.session.add(withdrawal)
    db.session.flush()
    ledger.post(f"withdrawal:{withdrawal.id}", "withdrawal", [(wallet, -amount), (hold(actor.account_id, currency),
                                                                                  amount)],
                memo=f"withdrawal {withdrawal.id}", actor_id=actor.id, meta={"withdrawal_id": withdrawal.id})
    return withdrawal


def of(user: User, page: int = 1, per_page: int = 20):
    """The brand's own withdrawals, newest first."""
    if not user.is_brand:
        raise Forbidden()
    permissions.require(user, "wallet.read")
    return paginate(select(Withdrawal).where(Withdrawal.brand_id == user.account_id)
                    .order_by(Withdrawal.id.desc()), page, per_page)


# --- staff -----------------------------------------------------------------------------------------

def _staff(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise Forbidden(_l("Only platform finance decides withdrawals."))


def queue(status: str = WithdrawalStatus.REQUESTED.value, limit: int = 200) -> list[Withdrawal]:
    return db.session.scalars(select(Withdrawal).where(Withdrawal.status == status)
                              .order_by(Withdrawal.id).limit(limit)).all()


def _undecided(staff: User, withdrawal_id: int) -> Withdrawal:
    _staff(staff)
    withdrawal = locked_get(Withdrawal, withdrawal_id)
    if withdrawal is None:
        raise NotFound()
    if withdrawal.status != WithdrawalStatus.REQUESTED:
        raise Conflict(_l("This withdrawal is already decided."), code="already_decided")
    return withdrawal


def _state(w: Withdrawal) -> dict:
    return {"status": w.status, "amount": w.amount, "currency": w.currency}


def approve(staff: User, withdrawal_id: int, note: str = "") -> Withdrawal:
    """The next payout batch takes it to the brand's bank account."""
    note = (note or "").strip()
    check({"note": len(note) > 500 and _l("At most 500 characters.")})
    withdrawal = _undecided(staff, withdrawal_id)
    before = _state(withdrawal)
    transition(withdrawal, WithdrawalStatus.APPROVED)
    withdrawal.decided_by_id, withdrawal.decided_at, withdrawal.note = staff.id, utcnow(), note
    audit.record(staff, "withdrawal.approve", "withdrawal", withdrawal.id, before=before, after=_state(withdrawal),
                 reason=note or None, affected_user_id=withdrawal.brand_id)
    return withdrawal


def refuse(staff: User, withdrawal_id: int, reason: str) -> Withdrawal:
    """The held money goes back to the wallet; the brand is told why."""
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 500 and _l("Explain why (3 to 500 characters).")})
    withdrawal = _undecided(staff, withdrawal_id)
    before = _state(withdrawal)
    _return_to_wallet(withdrawal, f"withdrawal-refused:{withdrawal.id}", reason, staff)
    transition(withdrawal, WithdrawalStatus.REFUSED)
    withdrawal.decided_by_id, withdrawal.decided_at, withdrawal.note = staff.id, utcnow(), reason
    audit.record(staff, "withdrawal.refuse", "withdrawal", withdrawal.id, before=before, after=_state(withdrawal),
                 reason=reason, affected_user_id=withdrawal.brand_id)
    notifications.notify([withdrawal.brand_id], "withdrawal_refused", to=destinations.WALLET,
                         amount=withdrawal.amount, currency=withdrawal.currency, reason=reason)
    return withdrawal


def _return_to_wallet(withdrawal: Withdrawal, key: str, memo: str, actor: User | None) -> None:
    ledger.post(key, "withdrawal_return",
                [(hold(withdrawal.brand_id, withdrawal.currency), -withdrawal.amount),
                 (ledger.account("brand_wallet", withdrawal.currency, user_id=withdrawal.brand_id), withdrawal.amount)],
                memo=memo, actor_id=actor.id if actor else None, meta={"withdrawal_id": withdrawal.id})


# --- riding the payout batch -----------------------------------------------------------------------

def take_into_batch(batch: PayoutBatch) -> int:
    """Approved withdrawals not yet taken become one bank payout per brand and currency in `batch`,
    posted `payout:<id>` (hold → payouts clearing), each to the brand's bank details as they are now.
    The rows are locked, so a second run of the batch finds them taken. A brand with a payout in this
    batch already (a resumed batch) waits for the next one. Returns the number of payouts made."""
    ids = db.session.scalars(select(Withdrawal.id).where(Withdrawal.status == WithdrawalStatus.APPROVED,
                                                         Withdrawal.payout_id.is_(None))
                             .order_by(Withdrawal.id)).all()
    groups: dict[tuple[int, str], list[Withdrawal]] = {}
    for withdrawal_id in ids:
        withdrawal = locked_get(Withdrawal, withdrawal_id)
        if withdrawal.status == WithdrawalStatus.APPROVED and withdrawal.payout_id is None:
            groups.setdefault((withdrawal.brand_id, withdrawal.currency), []).append(withdrawal)
    made = 0
    for (brand_id, currency), taken in groups.items():
        account = db.session.get(PayoutAccount, brand_id)
        already = db.session.scalar(select(Payout.id).where(Payout.batch_id == batch.id, Payout.provider_id == brand_id,
                                                            Payout.currency == currency))
        if account is None or not account.has_bank_details or already is not None:
            continue
        amount = sum(w.amount for w in taken)
        payout = Payout(batch_id=batch.id, provider_id=brand_id, currency=currency, amount=amount, method="bank",
                        kind="withdrawal", status=PayoutStatus.PENDING.value,
                        destination=account.bank_account_number, payee_name=account.bank_account_name,
                        payee_bank=account.bank_name)
        db.session.add(payout)
        db.session.flush()
        ledger.post(f"payout:{payout.id}", "payout",
                    [(hold(brand_id, currency), -amount), (ledger.clearing("payouts_clearing", currency), amount)],
                    memo=f"payout batch {batch.id}", reference=f"batch:{batch.id}",
                    meta={"batch_id": batch.id, "withdrawal_ids": [w.id for w in taken]})
        for w in taken:
            w.payout_id = payout.id
        made += 1
    return made


def settle_payout(payout: Payout, actor: User | None) -> None:
    """A withdrawal payout was marked paid or failed (services.payouts has posted `payout-paid:` or
    `payout-failed:`, the latter back onto the hold): its withdrawals follow; failed ones return to the
    wallet."""
    paid = payout.status == PayoutStatus.PAID
    for withdrawal in db.session.scalars(select(Withdrawal).where(Withdrawal.payout_id == payout.id)
                                         .order_by(Withdrawal.id)):
        if not paid:
            _return_to_wallet(withdrawal, f"withdrawal-failed:{withdrawal.id}", payout.failure_reason or "",
                              actor)
        transition(withdrawal, WithdrawalStatus.PAID if paid else WithdrawalStatus.FAILED)
    notifications.notify([payout.provider_id], "withdrawal_paid" if paid else "withdrawal_failed",
                         to=destinations.WALLET, amount=payout.amount, currency=payout.currency,
                         reason=(payout.failure_reason or "")[:500])
