"""The daily reconciliation: the ledger checked against itself, the milestones, the payouts and, when
Stripe is configured, Stripe's own records. Each run is stored as a ReconciliationRun listing every
difference for finance. Nothing is ever fixed here: a correction is a posting a person decides on.

Each ledger check is one or two set-based queries that return only the rows that differ (GROUP BY /
HAVING in the database), so a run costs a few scans however many millions of entries there are.
Like every service this never commits; the job that calls `run()` owns the transaction."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from inspect import signature
from math import ceil
from uuid import uuid4

import stripe
from flask import current_app
from sqlalchemy import String, and_, case, cast, func, literal, or_, select

from extensions import db
from models import (
    BankStatementLine,
    Chargeback,
    Contest,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    MarginAward,
    Milestone,
    Payout,
    ReconciliationRun,
    StripePayment,
    StripeRefund,
)
from models.contest import UNDECIDED
from models.contract import HELD
from models.margin import AwardStatus
from models.payout import PayoutStatus
from models.stripe import PaymentStatus, RefundStatus
from models.types import utcnow
from services import audit, ledger, processor_fees, stripe_gateway, tasks
from services.errors import Forbidden, NotFound
from services.pagination import Page, paginate

# A ledger broken everywhere must still give a run finance can read: the rest is counted, not listed.
MAX_LISTED = 1000
# Stripe objects younger than this are left to the next run: their webhook or job may still be landing.
SETTLE = timedelta(minutes=15)
RUN_TIMEOUT = 3600  # seconds; listing Stripe and scanning a large ledger takes a while
# Posting kinds that move a milestone's escrow: in by funding, out by release or a dispute decision; a
# chargeback's cover takes it out and a won chargeback's restore puts it back (services/chargebacks.py).
ESCROW_MOVES = ("fund", "release", "resolution", "chargeback_cover", "chargeback_restore")
ESCROW_IN = ("fund", "chargeback_restore")


@dataclass
class Outcome:
    checked: int  # how many things the check compared
    differences: list[dict] = field(default_factory=list)


def difference(check: str, subject: str, expected, actual, detail: str, **extra) -> dict:
    """One listed difference; `detail` is a code the finance page turns into a sentence."""
    return {"check": check, "subject": subject, "expected": expected, "actual": actual, "detail": detail, **extra}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _total(column):
    return func.coalesce(func.sum(column), 0)


# --- (1) and (2): the ledger on its own ------------------------------------------------------------

def check_posting_balance() -> Outcome:
    """Every posting's entries sum to zero in each currency."""
    keys = ledger.unbalanced_postings()
    rows = db.session.execute(
        select(LedgerPosting.key, LedgerEntry.currency, func.sum(LedgerEntry.amount)).join(LedgerEntry)
        .where(LedgerPosting.key.in_(keys[:MAX_LISTED])).group_by(LedgerPosting.key, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount) != 0).order_by(LedgerPosting.key)) if keys else []
    return Outcome(_count(LedgerPosting), [
        difference("posting_balance", f"posting:{key}", 0, int(total), "unbalanced", currency=currency)
        for key, currency, total in rows])


def check_zero_sum() -> Outcome:
    """All accounts together sum to zero in each currency (money only moves, it is never made)."""
    rows = db.session.execute(select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
                              .group_by(LedgerEntry.currency).order_by(LedgerEntry.currency)).all()
    return Outcome(len(rows), [difference("zero_sum", f"currency:{currency}", 0, int(total), "not_zero",
                                          currency=currency) for currency, total in rows if total])


def check_bank_statements() -> Outcome:
    """Imported bank statement lines against the ledger (services.bank_statements): the suspense account
    holds exactly the lines still waiting for staff, per currency, and every line has its import posting."""
    waiting = dict(db.session.execute(select(BankStatementLine.currency, _total(BankStatementLine.amount))
                                      .where(BankStatementLine.status == "unmatched")
                                      .group_by(BankStatementLine.currency)).all())
    held = dict(db.session.execute(select(LedgerAccount.currency, _total(LedgerEntry.amount)).join(LedgerEntry)
                                   .where(LedgerAccount.kind == "bank_suspense")
                                   .group_by(LedgerAccount.currency)).all())
    differences = [difference("bank_statements", f"bank_suspense:{currency}", int(waiting.get(currency, 0)),
                              int(held.get(currency, 0)), "suspense_vs_queue", currency=currency)
                   for currency in sorted(set(waiting) | set(held))
                   if int(waiting.get(currency, 0)) != int(held.get(currency, 0))]
    unposted = db.session.execute(
        select(BankStatementLine.transaction_key, BankStatementLine.currency).outerjoin(
            LedgerPosting, LedgerPosting.key == literal("bank:") + BankStatementLine.currency + ":"
            + BankStatementLine.transaction_key)
        .where(LedgerPosting.id.is_(None)).order_by(BankStatementLine.id).limit(MAX_LISTED)).all()
    differences += [difference("bank_statements", f"bank_statement_line:{key}", None, None, "posting_missing",
                               posting=f"bank:{currency}:{key}", currency=currency) for key, currency in unposted]
    return Outcome(_count(BankStatementLine), differences)


MARGIN_KINDS = ("margin_in", "margin_deposit", "margin_out", "margin_award")


def check_margins() -> Outcome:
    """Providers' margin deposits (services.margins): no margin account below zero, nothing on one but
    margin postings, and each applied award (only those) posted once for its amount."""
    margin = LedgerAccount.kind == "provider_margin"
    negative = db.session.execute(
        select(LedgerAccount.key, LedgerAccount.user_id, LedgerAccount.currency, func.sum(LedgerEntry.amount))
        .join(LedgerEntry).where(margin).group_by(LedgerAccount.id)
        .having(func.sum(LedgerEntry.amount) < 0).order_by(LedgerAccount.key)).all()
    differences = [difference("margins", f"account:{key}", 0, int(total), "margin_negative", currency=currency,
                              provider=user_id) for key, user_id, currency, total in negative]
    foreign = db.session.execute(
        select(LedgerPosting.key, LedgerPosting.kind).join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(margin, LedgerPosting.kind.not_in(MARGIN_KINDS)).order_by(LedgerPosting.id).limit(MAX_LISTED)).all()
    differences += [difference("margins", f"posting:{key}", None, kind, "posting_kind") for key, kind in foreign]
    key = literal("margin-award:", String) + cast(MarginAward.id, String)
    moved = _total(case((margin, -LedgerEntry.amount), else_=0))
    awards = db.session.execute(
        select(MarginAward.id, MarginAward.status, MarginAward.amount, LedgerPosting.id.label("posting_id"),
               moved.label("moved"))
        .outerjoin(LedgerPosting, LedgerPosting.key == key)
        .outerjoin(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .outerjoin(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .group_by(MarginAward.id, LedgerPosting.id).order_by(MarginAward.id)).all()
    for row in awards:
        applied = row.status == AwardStatus.APPLIED
        if applied and (row.posting_id is None or int(row.moved) != row.amount):
            differences.append(difference("margins", f"margin_award:{row.id}", row.amount,
                                          int(row.moved) if row.posting_id else None, "award_posting"))
        elif not applied and row.posting_id is not None:
            differences.append(difference("margins", f"margin_award:{row.id}", None, int(row.moved),
                                          "award_unexpected"))
    return Outcome(_count(MarginAward), differences)


# --- (3) escrow per milestone ------------------------------------------------------------------------

def _escrow_balances():
    """Per milestone: its escrow balance, and how much of it came in or went out by each posting kind."""
    def by_kind(kind):
        return _total(case((LedgerPosting.kind == kind, LedgerEntry.amount), else_=0))

    return (select(LedgerAccount.milestone_id, _total(LedgerEntry.amount).label("balance"),
                   by_kind("fund").label("funded"), (-by_kind("release")).label("released"),
                   (-by_kind("resolution")).label("decided"))
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .where(LedgerAccount.kind == "escrow").group_by(LedgerAccount.milestone_id).subquery())


def _escrow_moves():
    """Per milestone: fund (and restore) postings − release, decision and cover postings (1 while held,
    0 once settled)."""
    step = case((LedgerPosting.kind.in_(ESCROW_IN), 1), else_=-1)
    return (select(LedgerPosting.milestone_id, func.sum(step).label("net"))
            .where(LedgerPosting.kind.in_(ESCROW_MOVES), LedgerPosting.milestone_id.is_not(None))
            .group_by(LedgerPosting.milestone_id).subquery())


def check_escrow() -> Outcome:
    """Each milestone's escrow = funded − released − decided: its balance must equal the milestone
    amount times the postings that moved it, and what its status says (the amount while held, else 0)."""
    balances, moves = _escrow_balances(), _escrow_moves()
    held = func.coalesce(balances.c.balance, 0)
    by_postings = Milestone.amount * func.coalesce(moves.c.net, 0)
    by_status = case((Milestone.status.in_(HELD), Milestone.amount), else_=0)
    rows = db.session.execute(
        select(Milestone.id, Milestone.currency, Milestone.status, held.label("balance"),
               by_postings.label("by_postings"), by_status.label("by_status"),
               *(func.coalesce(balances.c[name], 0).label(name) for name in ("funded", "released", "decided")))
        .outerjoin(balances, balances.c.milestone_id == Milestone.id)
        .outerjoin(moves, moves.c.milestone_id == Milestone.id)
        .where(or_(held != by_postings, held != by_status)).order_by(Milestone.id))
    differences = []
    for row in rows:
        flows = {"status": row.status, "currency": row.currency, "funded": int(row.funded),
                 "released": int(row.released), "decided": int(row.decided)}
        subject = f"milestone:{row.id}"
        if row.balance != row.by_postings:
            differences.append(difference("escrow", subject, int(row.by_postings), int(row.balance),
                                          "escrow_vs_postings", **flows))
        if row.balance != row.by_status:
            differences.append(difference("escrow", subject, int(row.by_status), int(row.balance),
                                          "escrow_vs_status", **flows))
    return Outcome(_count(Milestone), differences)


def check_contest_escrow() -> Outcome:
    """Each contest's escrow holds the whole prize from publish until it is decided, then nothing: its
    balance must equal the prize total times the postings that moved it (the fund in, the award, split
    or refund out) and what its status says."""
    balances = (select(LedgerAccount.key.label("key"), _total(LedgerEntry.amount).label("balance"))
                .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
                .where(LedgerAccount.kind == "contest_escrow").group_by(LedgerAccount.key).subquery())
    # each posting that touched the account once (+1 the fund, −1 the award, split or refund), however
    # many entries it has there
    touched = (select(LedgerAccount.key.label("key"), LedgerPosting.id,
                      case((LedgerPosting.kind == "contest_fund", 1), else_=-1).label("step"))
               .select_from(LedgerEntry).join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
               .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
               .where(LedgerAccount.kind == "contest_escrow").distinct().subquery())
    moves = select(touched.c.key, func.sum(touched.c.step).label("net")).group_by(touched.c.key).subquery()
    key = literal("contest_escrow:contest:") + cast(Contest.id, String) + literal(":") + Contest.currency
    held = func.coalesce(balances.c.balance, 0)
    by_postings = Contest.prize_total * func.coalesce(moves.c.net, 0)
    by_status = case((Contest.stored_status.in_([s.value for s in UNDECIDED]), Contest.prize_total), else_=0)
    rows = db.session.execute(
        select(Contest.id, Contest.currency, Contest.stored_status, held.label("balance"),
               by_postings.label("by_postings"), by_status.label("by_status"))
        .outerjoin(balances, balances.c.key == key).outerjoin(moves, moves.c.key == key)
        .where(or_(held != by_postings, held != by_status)).order_by(Contest.id))
    differences = []
    for row in rows:
        subject, flows = f"contest:{row.id}", {"status": row.stored_status, "currency": row.currency}
        if row.balance != row.by_postings:
            differences.append(difference("contest_escrow", subject, int(row.by_postings), int(row.balance),
                                          "contest_vs_postings", **flows))
        if row.balance != row.by_status:
            differences.append(difference("contest_escrow", subject, int(row.by_status), int(row.balance),
                                          "contest_vs_status", **flows))
    return Outcome(_count(Contest), differences)


# --- (4) payouts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PayoutRule:
    """A posting every payout in `statuses` has (and no other payout has), keyed `<prefix>:<payout id>`,
    moving the payout's amount times `expect[role]` on each account role."""

    prefix: str
    statuses: tuple
    kind: str | None  # the posting kind it must have (None: not checked)
    expect: dict
    reference: bool = False  # must carry the bank reference or the Stripe transfer id


PAYOUT_RULES = (
    PayoutRule("payout", tuple(PayoutStatus), None, {"payable": -1, "clearing": 1}),
    PayoutRule("payout-paid", (PayoutStatus.PAID,), "payout_paid", {"clearing": -1, "outside": 1}, reference=True),
    PayoutRule("payout-failed", (PayoutStatus.FAILED,), "payout_reversal", {"clearing": -1, "payable": 1}),
)


def _payout_role_sums() -> dict:
    """What a payout's posting moves on each role's account, in the payout's currency."""
    same = LedgerEntry.currency == Payout.currency
    outside = case((Payout.method == "bank", "bank_clearing"), else_="stripe_clearing")
    roles = {
        # a brand's withdrawal payout takes from (and fails back to) its withdrawal hold
        "payable": and_(same, LedgerAccount.kind == case((Payout.kind == "withdrawal", "withdrawal_hold"),
                                                         else_="provider_payable"),
                        LedgerAccount.user_id == Payout.provider_id),
        "clearing": and_(same, LedgerAccount.kind == "payouts_clearing"),
        "outside": and_(same, LedgerAccount.kind == outside),
    }
    return {role: _total(case((condition, LedgerEntry.amount), else_=0)) for role, condition in roles.items()}


def _payout_rule_rows(rule: PayoutRule):
    """Payouts whose `rule` posting is missing, wrong, or there although their status forbids it."""
    sums = {role: total for role, total in _payout_role_sums().items() if role in rule.expect}
    wrong = [total != Payout.amount * rule.expect[role] for role, total in sums.items()]
    if rule.kind:
        wrong.append(LedgerPosting.kind != rule.kind)
    if rule.reference:
        wanted = case((Payout.method == "bank", Payout.bank_reference), else_=Payout.transfer_id)
        wrong.append(LedgerPosting.reference.is_distinct_from(wanted))
    must = Payout.status.in_(rule.statuses)
    key = literal(f"{rule.prefix}:", String) + cast(Payout.id, String)
    return db.session.execute(
        select(Payout.id, Payout.status, Payout.currency, Payout.amount, Payout.method, Payout.bank_reference,
               Payout.transfer_id, LedgerPosting.id.label("posting_id"), LedgerPosting.key, LedgerPosting.kind,
               LedgerPosting.reference, *(total.label(role) for role, total in sums.items()))
        .outerjoin(LedgerPosting, LedgerPosting.key == key)
        .outerjoin(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
        .outerjoin(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .group_by(Payout.id, LedgerPosting.id)  # the other columns depend on these primary keys
        .having(or_(and_(must, or_(LedgerPosting.id.is_(None), *wrong)),
                    and_(~must, LedgerPosting.id.is_not(None))))
        .order_by(Payout.id)).all()


def _payout_rule_difference(rule: PayoutRule, row) -> dict:
    subject, key = f"payout:{row.id}", f"{rule.prefix}:{row.id}"
    listed = partial(difference, "payouts", subject, currency=row.currency, posting=key, status=row.status)
    if row.status not in rule.statuses:
        return listed(None, row.key, "posting_unexpected")
    if row.posting_id is None:
        return listed(row.amount, None, "posting_missing")
    for role, factor in rule.expect.items():
        if getattr(row, role) != row.amount * factor:
            return listed(row.amount, int(getattr(row, role)) * factor, "posting_amount", role=role)
    if rule.kind and row.kind != rule.kind:
        return listed(rule.kind, row.kind, "posting_kind")
    wanted = row.bank_reference if row.method == "bank" else row.transfer_id
    return listed(wanted, row.reference, "posting_reference")


def _clearing_differences() -> list[dict]:
    """Money on the payouts clearing account is exactly the pending payouts, per currency."""
    clearing = dict(db.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount)).join(LedgerAccount)
        .where(LedgerAccount.kind == "payouts_clearing").group_by(LedgerEntry.currency)).all())
    pending = dict(db.session.execute(select(Payout.currency, func.sum(Payout.amount))
                                      .where(Payout.status == PayoutStatus.PENDING).group_by(Payout.currency)).all())
    return [difference("payouts", f"currency:{currency}", int(pending.get(currency, 0)),
                       int(clearing.get(currency, 0)), "clearing_vs_pending", currency=currency)
            for currency in sorted(clearing.keys() | pending.keys())
            if clearing.get(currency, 0) != pending.get(currency, 0)]


def _negative_payables() -> list[dict]:
    """A provider can never have been paid more than it earned."""
    rows = db.session.execute(
        select(LedgerAccount.key, LedgerAccount.user_id, LedgerAccount.currency, func.sum(LedgerEntry.amount))
        .join(LedgerEntry).where(LedgerAccount.kind == "provider_payable").group_by(LedgerAccount.id)
        .having(func.sum(LedgerEntry.amount) < 0).order_by(LedgerAccount.key))
    return [difference("payouts", f"account:{key}", 0, int(total), "payable_negative", currency=currency,
                       provider=user_id) for key, user_id, currency, total in rows]


def check_payouts() -> Outcome:
    differences = [_payout_rule_difference(rule, row) for rule in PAYOUT_RULES for row in _payout_rule_rows(rule)]
    return Outcome(_count(Payout), differences + _clearing_differences() + _negative_payables())


# --- (5) Stripe --------------------------------------------------------------------------------------

class StripeUnreachable(Exception):
    def __init__(self, check: str, error: stripe.StripeError):
        super().__init__(str(error))
        self.difference = difference(check, "stripe", None, None, "stripe_unreachable", error=str(error)[:300])


def _listed(check: str, objects) -> list[dict]:
    """Every object of one Stripe list, as plain dicts. A list Stripe does not give us is itself a
    difference: a run that could not compare is not ok."""
    try:
        return [obj.to_dict() for obj in objects()]
    except stripe.StripeError as exc:
        raise StripeUnreachable(check, exc) from exc


def _settled(obj: dict, cutoff: datetime) -> bool:
    return obj["created"] < cutoff.timestamp()


def _card_fundings() -> dict[str, tuple[str, int]]:
    """PaymentIntent id → (currency, amount put into escrow or a wallet) of every card-funded posting."""
    rows = db.session.execute(
        select(LedgerPosting.reference, LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id).join(LedgerAccount)
        .where(or_(and_(LedgerPosting.kind == "fund", LedgerAccount.kind == "escrow"),
                   and_(LedgerPosting.kind == "card_top_up", LedgerAccount.kind == "brand_wallet")),
               LedgerPosting.reference.startswith("pi_", autoescape=True))
        .group_by(LedgerPosting.id, LedgerPosting.reference, LedgerEntry.currency))
    return {reference: (currency, int(amount)) for reference, currency, amount in rows}


def check_stripe_payments(cutoff: datetime) -> Outcome:
    """Every succeeded PaymentIntent funded a milestone (or was refunded as a duplicate), and every
    card funding has a succeeded PaymentIntent of its amount."""
    succeeded = {pi["id"]: pi for pi in _listed("stripe_payments", stripe_gateway.payment_intents)
                 if pi["status"] == PaymentStatus.SUCCEEDED}
    funded = _card_fundings()
    duplicates = set(db.session.scalars(select(StripePayment.payment_intent_id)
                                        .where(StripePayment.status == PaymentStatus.REFUNDED_DUPLICATE)))
    differences = [
        difference("stripe_payments", f"payment_intent:{pi['id']}", pi["amount"], None, "not_posted",
                   currency=pi["currency"].upper(), milestone=(pi.get("metadata") or {}).get("milestone_id"))
        for pi in succeeded.values()
        if pi["id"] not in funded and pi["id"] not in duplicates and _settled(pi, cutoff)]
    for intent_id, (currency, amount) in funded.items():
        pi = succeeded.get(intent_id)
        listed = partial(difference, "stripe_payments", f"payment_intent:{intent_id}", currency=currency)
        if pi is None:
            differences.append(listed(amount, None, "not_on_stripe"))
        elif (pi["currency"].upper(), pi["amount"]) != (currency, amount):
            differences.append(listed(pi["amount"], amount, "amount_differs"))
    return Outcome(len(succeeded), differences)


def _owed_refunds() -> dict[str, tuple[str, int, bool]]:
    """witkey_key → (currency, amount, already sent) of every refund the platform owes through Stripe:
    the refund outbox (late card payments included, under `refund:extra:<pi>`), and late payments
    refunded before they went through the outbox (in full, at once, under that same key)."""
    owed = {f"refund:extra:{intent}": (currency, amount, True) for intent, currency, amount in db.session.execute(
        select(StripePayment.payment_intent_id, StripePayment.currency, StripePayment.amount)
        .where(StripePayment.status == PaymentStatus.REFUNDED_DUPLICATE))}
    rows = db.session.execute(select(StripeRefund.key, StripeRefund.currency, StripeRefund.amount, StripeRefund.status))
    owed.update({key: (currency, amount, status == RefundStatus.SUCCEEDED) for key, currency, amount, status in rows})
    return owed


def _refund_difference(key: str, made: list[dict], owed: tuple | None) -> dict | None:
    total = sum(r["amount"] for r in made)
    listed = partial(difference, "stripe_refunds", f"refund:{key}", currency=made[0]["currency"].upper())
    if owed is None:
        return listed(None, total, "refund_unknown")
    currency, amount, _sent = owed
    if len(made) > 1:
        return listed(amount, total, "refunded_twice")
    if (made[0]["currency"].upper(), total) != (currency, amount):
        return listed(amount, total, "amount_differs")
    return None


def check_stripe_refunds(cutoff: datetime) -> Outcome:
    """Every Stripe refund is one the platform owes (same key and amount), once; every refund
    recorded as sent is on Stripe."""
    refunds = _listed("stripe_refunds", stripe_gateway.refunds)
    made = defaultdict(list)
    for refund in refunds:
        key = (refund.get("metadata") or {}).get("witkey_key")
        made[key or f"stripe:{refund['id']}"].append(refund)
    owed = _owed_refunds()
    differences = [found for key, group in made.items() if all(_settled(r, cutoff) for r in group)
                   if (found := _refund_difference(key, group, owed.get(key)))]
    differences += [difference("stripe_refunds", f"refund:{key}", amount, None, "refund_missing", currency=currency)
                    for key, (currency, amount, sent) in owed.items() if sent and key not in made]
    differences += [difference("stripe_refunds", f"refund:{key}", amount, None, "refund_refused", currency=currency,
                               error=failure)
                    for key, currency, amount, failure in db.session.execute(
                        select(StripeRefund.key, StripeRefund.currency, StripeRefund.amount, StripeRefund.failure)
                        .where(StripeRefund.status == RefundStatus.FAILED))]
    return Outcome(len(refunds), differences)


def _stripe_payouts() -> tuple[dict, dict]:
    """Payouts by transfer id, and the payout_paid postings into stripe_clearing by reference."""
    payouts = {row.transfer_id: row for row in db.session.execute(
        select(Payout.id, Payout.transfer_id, Payout.status, Payout.currency, Payout.amount)
        .where(Payout.transfer_id.is_not(None)))}
    postings = {reference: (key, currency, int(amount)) for reference, key, currency, amount in db.session.execute(
        select(LedgerPosting.reference, LedgerPosting.key, LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id).join(LedgerAccount)
        .where(LedgerPosting.kind == "payout_paid", LedgerAccount.kind == "stripe_clearing")
        .group_by(LedgerPosting.id, LedgerPosting.reference, LedgerPosting.key, LedgerEntry.currency))}
    return payouts, postings


def _transfer_difference(transfer: dict, payout, posted: tuple | None) -> dict | None:
    amount, currency = transfer["amount"], transfer["currency"].upper()
    listed = partial(difference, "stripe_transfers", f"transfer:{transfer['id']}", currency=currency,
                     payout=payout.id if payout else None)
    if payout is None:
        return listed(None, amount, "transfer_unknown")
    if payout.status != PayoutStatus.PAID:
        return listed(PayoutStatus.PAID.value, payout.status, "payout_not_paid")
    if (payout.currency, payout.amount) != (currency, amount):
        return listed(payout.amount, amount, "amount_differs")
    if posted is None:
        return listed(amount, None, "paid_posting_missing")
    return None


def check_stripe_transfers(cutoff: datetime) -> Outcome:
    """Every Stripe transfer pays a paid payout of its amount and has its payout_paid posting; every
    payout_paid posting into stripe_clearing has its transfer."""
    transfers = {t["id"]: t for t in _listed("stripe_transfers", stripe_gateway.transfers)}
    payouts, postings = _stripe_payouts()
    differences = [found for transfer in transfers.values() if _settled(transfer, cutoff)
                   if (found := _transfer_difference(transfer, payouts.get(transfer["id"]),
                                                     postings.get(transfer["id"])))]
    for reference, (key, currency, amount) in postings.items():
        transfer = transfers.get(reference)
        listed = partial(difference, "stripe_transfers", f"transfer:{reference}", amount, currency=currency,
                         posting=key)
        if transfer is None:
            differences.append(listed(None, "transfer_missing"))
        elif (transfer["currency"].upper(), transfer["amount"]) != (currency, amount):
            differences.append(listed(transfer["amount"], "amount_differs"))
    return Outcome(len(transfers), differences)


def _dispute_postings() -> dict[str, dict[str, int]]:
    """Dispute id → {"withdrawn": net, "reinstated": net} as posted on Stripe clearing (Stripe's sign: what
    left the balance is negative)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for reference, kind, amount in db.session.execute(
            select(LedgerPosting.reference, LedgerPosting.kind, func.sum(LedgerEntry.amount))
            .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id).join(LedgerAccount)
            .where(LedgerPosting.kind.in_(("chargeback_withdrawn", "chargeback_reinstated")),
                   LedgerAccount.kind == "stripe_clearing")
            .group_by(LedgerPosting.id, LedgerPosting.reference, LedgerPosting.kind)):
        out[reference][kind.removeprefix("chargeback_")] = -int(amount)
    return out


def _stripe_dispute_funds(dispute: dict) -> dict[str, int]:
    """What Stripe's balance transactions of a dispute moved: the withdrawal and the reinstatement (net)."""
    funds: dict[str, int] = {}
    for txn in dispute.get("balance_transactions") or []:
        net = int(txn.get("net", txn["amount"] - txn.get("fee", 0)))
        what = "withdrawn" if net < 0 else "reinstated" if net > 0 else None
        if what:
            funds[what] = funds.get(what, 0) + net
    return funds


def _dispute_differences(dispute: dict, case, posted: dict[str, int]) -> list[dict]:
    listed = partial(difference, "stripe_disputes", f"dispute:{dispute['id']}",
                     currency=dispute["currency"].upper(), charge=dispute.get("charge"))
    if case is None:
        return [listed(dispute["amount"], None, "chargeback_missing")]
    found = []
    if (case.amount, case.currency) != (dispute["amount"], dispute["currency"].upper()):
        found.append(listed(dispute["amount"], case.amount, "amount_differs"))
    if case.status != dispute["status"]:
        found.append(listed(dispute["status"], case.status, "status_differs"))
    funds = _stripe_dispute_funds(dispute)
    for what in ("withdrawn", "reinstated"):
        if funds.get(what) != posted.get(what):
            found.append(listed(funds.get(what), posted.get(what), f"{what}_differs"))
    return found


def check_stripe_disputes(cutoff: datetime) -> Outcome:
    """Every Stripe dispute has its chargeback case, of the same amount and status, and postings matching its
    balance transactions (withdrawal, reinstatement); every chargeback case exists at Stripe, and every
    chargeback posting on Stripe clearing belongs to a dispute Stripe lists."""
    disputes = {d["id"]: d for d in _listed("stripe_disputes", stripe_gateway.disputes)}
    cases = {case.stripe_dispute_id: case for case in db.session.scalars(select(Chargeback))}
    postings = _dispute_postings()
    differences = [found for d in disputes.values() if _settled(d, cutoff)
                   for found in _dispute_differences(d, cases.get(d["id"]), postings.get(d["id"], {}))]
    differences += [difference("stripe_disputes", f"dispute:{dispute_id}", None, case.amount,
                               "chargeback_not_on_stripe", currency=case.currency, chargeback=case.id)
                    for dispute_id, case in cases.items() if dispute_id not in disputes]
    differences += [difference("stripe_disputes", f"dispute:{reference}", None, sum(moved.values()),
                               "posting_without_chargeback")
                    for reference, moved in postings.items() if reference not in cases and reference not in disputes]
    return Outcome(len(disputes), differences)


# --- (6) Stripe's balance transactions and balance ---------------------------------------------------
#
# Stripe's own record of money moving is its balance transactions: `charge` (amount, and the fee it kept),
# `refund`, `transfer`, `transfer_refund` (a reversal), `stripe_fee`, `adjustment` (dispute withdrawals and
# reinstatements, with the dispute fee) … Each is matched with the ledger by the Stripe ids postings
# record: a charge's PaymentIntent is the reference of its `fund` posting and its id is in the key of its
# fee posting (`fee:charge:<id>`); a refund is the StripeRefund row (written with its posting) that Stripe
# answered with; a transfer is the reference of its `payout_paid` posting. Any other type is matched with
# postings whose reference is its source (a dispute's `dp_…`) or the balance transaction's own id: they
# must move stripe_clearing by minus its net (a posting for a dispute has the `chargebacks` account as its
# other leg). What Stripe holds (available + pending) must then be what stripe_clearing says, less the
# refunds the ledger has given back that Stripe has not paid yet.

FEE_KEY = "fee:charge:"


def default_since(cutoff: datetime) -> datetime:
    """The daily run looks at yesterday and today (UTC), so a day is always checked whole once."""
    return datetime.combine(cutoff.astimezone(UTC).date() - timedelta(days=1), time.min, tzinfo=UTC)


def _stripe_postings() -> dict:
    """What the ledger records of Stripe objects, by their ids (one query per kind of record)."""
    def clearing_sums(*where):
        return db.session.execute(
            select(LedgerPosting.key, LedgerPosting.reference, LedgerPosting.created_at, func.sum(LedgerEntry.amount))
            .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id).join(LedgerAccount)
            .where(LedgerAccount.kind == "stripe_clearing", *where)
            .group_by(LedgerPosting.id, LedgerPosting.key, LedgerPosting.reference, LedgerPosting.created_at)).all()

    refunds = {row.stripe_refund_id: row for row in db.session.execute(
        select(StripeRefund.stripe_refund_id, StripeRefund.key, StripeRefund.amount, StripeRefund.currency)
        .where(StripeRefund.stripe_refund_id.is_not(None)))}
    return {
        "funded": _card_fundings(),
        "fees": {key.removeprefix(FEE_KEY): (int(total), created)
                 for key, _ref, created, total in clearing_sums(LedgerPosting.kind == processor_fees.KIND)},
        "duplicates": set(db.session.scalars(select(StripePayment.payment_intent_id)
                                             .where(StripePayment.status == PaymentStatus.REFUNDED_DUPLICATE))),
        "refunds": refunds,
        "transfers": {ref: -int(total) for _key, ref, _at, total in clearing_sums(LedgerPosting.kind == "payout_paid")},
    }


def _by_reference(references: set[str]) -> dict[str, int]:
    """Per reference: how postings naming it moved stripe_clearing."""
    if not references:
        return {}
    return {ref: int(total) for ref, total in db.session.execute(
        select(LedgerPosting.reference, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id).join(LedgerAccount)
        .where(LedgerAccount.kind == "stripe_clearing", LedgerPosting.reference.in_(sorted(references)))
        .group_by(LedgerPosting.reference))}


def _source(txn: dict) -> tuple[str, dict]:
    """The source's id and, when Stripe expanded it, the object."""
    source = txn.get("source")
    return (source.get("id"), source) if isinstance(source, dict) else (source, {})


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


def _charge_differences(txn: dict, source_id: str, source: dict, records: dict, listed) -> list[dict]:
    found = []
    intent = source.get("payment_intent")
    intent = intent.get("id") if isinstance(intent, dict) else intent
    if intent in records["funded"]:
        if records["funded"][intent] != (txn["currency"].upper(), txn["amount"]):
            found.append(listed(records["funded"][intent][1], txn["amount"], "amount_differs"))
    elif intent not in records["duplicates"]:  # a refunded duplicate passes through: only its fee stays
        return [listed(None, txn["amount"], "no_ledger_counterpart")]  # not ours at all: its fee is no news
    fee = records["fees"].get(source_id, (None,))[0]
    if txn["fee"] and fee is None:
        found.append(listed(txn["fee"], None, "fee_not_posted"))
    elif fee is not None and fee != txn["fee"]:
        found.append(listed(fee, txn["fee"], "fee_differs"))
    return found


def _refund_differences(txn: dict, source_id: str, source: dict, records: dict, listed) -> list[dict]:
    owed = records["refunds"].get(source_id)
    if owed is None:
        extra = ((source.get("metadata") or {}).get("witkey_key") or "").removeprefix("refund:extra:")
        return [] if extra in records["duplicates"] else [listed(None, txn["amount"], "no_ledger_counterpart")]
    if (owed.currency, owed.amount) != (txn["currency"].upper(), -txn["amount"]):
        return [listed(owed.amount, -txn["amount"], "amount_differs")]
    return []


def _transfer_differences(txn: dict, source_id: str, source: dict, records: dict, listed) -> list[dict]:
    posted = records["transfers"].get(source_id)
    if posted is None:
        return [listed(None, txn["amount"], "no_ledger_counterpart")]
    return [listed(posted, txn["amount"], "amount_differs")] if posted != txn["amount"] else []


# Types matched one by one; the others are matched per source (_other_differences).
MATCHED = {"charge": _charge_differences, "refund": _refund_differences, "transfer": _transfer_differences}


def _txn_differences(txn: dict, records: dict) -> list[dict]:
    source_id, source = _source(txn)
    listed = partial(difference, "stripe_balance_transactions", f"balance_transaction:{txn['id']}",
                     currency=txn["currency"].upper(), type=txn["type"], source=source_id, day=_day(txn["created"]))
    return MATCHED[txn["type"]](txn, source_id, source, records, listed)


def _other_differences(txns: list[dict], by_reference: dict) -> list[dict]:
    """Balance transactions of the other types, per source: postings naming the source (or the
    transaction) must move stripe_clearing by minus their net together."""
    groups = defaultdict(list)
    for txn in txns:
        groups[_source(txn)[0] or txn["id"]].append(txn)
    found = []
    for source_id, group in groups.items():
        net = sum(t["net"] for t in group)
        posted = [by_reference[ref] for ref in {source_id, *(t["id"] for t in group)} if ref in by_reference]
        first = group[0]
        listed = partial(difference, "stripe_balance_transactions", f"balance_transaction:{first['id']}",
                         currency=first["currency"].upper(), type=first["type"], source=source_id,
                         day=_day(first["created"]))
        if not posted:
            found.append(listed(None, net, "no_ledger_counterpart"))
        elif -sum(posted) != net:
            found.append(listed(-sum(posted), net, "amount_differs"))
    return found


def check_stripe_balance_transactions(cutoff: datetime, since: datetime | None = None) -> Outcome:
    """Each of Stripe's balance transactions of the days from `since` (UTC) to the settling cutoff has its
    ledger record, of its amount and fee; a fee posted in those days has its charge at Stripe."""
    since = since or default_since(cutoff)
    lookback = since - timedelta(days=1)  # a posting of the window may record an object of the day before
    txns = _listed("stripe_balance_transactions",
                   lambda: stripe_gateway.balance_transactions(since=int(lookback.timestamp())))
    window = [t for t in txns if since.timestamp() <= t["created"] < cutoff.timestamp()]
    records = _stripe_postings()
    others = [t for t in window if t["type"] not in MATCHED]
    by_reference = _by_reference({ref for t in others for ref in (_source(t)[0], t["id"]) if ref})
    differences = [found for txn in window if txn["type"] in MATCHED for found in _txn_differences(txn, records)]
    differences += _other_differences(others, by_reference)
    charges = {_source(t)[0] for t in txns if t["type"] == "charge"}
    differences += [difference("stripe_balance_transactions", f"posting:{FEE_KEY}{charge}", None, -fee,
                               "fee_without_charge", source=charge)
                    for charge, (fee, created) in records["fees"].items()
                    if since <= created < cutoff and charge not in charges]
    return Outcome(len(window), differences)


def _clearing_before(cutoff: datetime) -> dict[str, int]:
    return {currency: int(total) for currency, total in db.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .join(LedgerAccount).join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
        .where(LedgerAccount.kind == "stripe_clearing", LedgerPosting.created_at < cutoff)
        .group_by(LedgerEntry.currency))}


def _refunds_in_transit(cutoff: datetime, late: list[dict]) -> dict[str, int]:
    """Refunds the ledger gave back before the cutoff that Stripe had not paid by then: still owed, or
    paid by Stripe after the cutoff."""
    paid_late = {_source(t)[0] for t in late if t["type"] == "refund"}
    transit: dict[str, int] = defaultdict(int)
    for currency, amount, status, refund_id in db.session.execute(
            select(StripeRefund.currency, StripeRefund.amount, StripeRefund.status, StripeRefund.stripe_refund_id)
            .where(StripeRefund.created_at < cutoff)):
        if status == RefundStatus.PENDING or refund_id in paid_late:
            transit[currency] += amount
    return transit


def check_stripe_balance(cutoff: datetime) -> Outcome:
    """What Stripe holds for us (available + pending, per currency) is what the ledger's stripe_clearing
    says it holds, both as of the settling cutoff."""
    stripe_balance = _listed("stripe_balance", lambda: [_Plain(stripe_gateway.balance())])[0]
    # Stripe counts whole seconds: an object of the cutoff's own second is settled, as in _settled().
    late = _listed("stripe_balance", lambda: stripe_gateway.balance_transactions(since=ceil(cutoff.timestamp())))
    held: dict[str, int] = defaultdict(int)
    for state in ("available", "pending"):
        for amount in stripe_balance.get(state) or []:
            held[amount["currency"].upper()] += amount["amount"]
    for txn in late:  # not yet in the ledger's picture: left to the next run
        held[txn["currency"].upper()] -= txn["net"]
    clearing, transit = _clearing_before(cutoff), _refunds_in_transit(cutoff, late)
    currencies = sorted(set(held) | set(clearing))
    return Outcome(len(currencies), [
        difference("stripe_balance", f"currency:{currency}", expected, held.get(currency, 0), "balance_differs",
                   currency=currency, refunds_in_transit=transit.get(currency, 0))
        for currency in currencies
        if (expected := -clearing.get(currency, 0) + transit.get(currency, 0)) != held.get(currency, 0)])


class _Plain(dict):
    """A dict that answers to_dict(), as listed Stripe objects do."""

    def to_dict(self) -> dict:
        return dict(self)


# --- the run -----------------------------------------------------------------------------------------

LEDGER_CHECKS = {"posting_balance": check_posting_balance, "zero_sum": check_zero_sum, "escrow": check_escrow,
                 "contest_escrow": check_contest_escrow,
                 "payouts": check_payouts, "bank_statements": check_bank_statements, "margins": check_margins}
STRIPE_CHECKS = {"stripe_payments": check_stripe_payments, "stripe_refunds": check_stripe_refunds,
                 "stripe_transfers": check_stripe_transfers, "stripe_disputes": check_stripe_disputes,
                 "stripe_balance_transactions": check_stripe_balance_transactions,
                 "stripe_balance": check_stripe_balance}
CHECKS = (*LEDGER_CHECKS, *STRIPE_CHECKS)


def _one_snapshot() -> None:
    """On PostgreSQL read everything from one snapshot (REPEATABLE READ), so money moving while the
    checks run never shows up as a difference between two queries. Only possible before the
    transaction's first statement; SQLite serialises writers anyway."""
    if db.session.get_bind().dialect.name == "postgresql" and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _capped(check: str, differences: list[dict]) -> list[dict]:
    if len(differences) <= MAX_LISTED:
        return differences
    return [*differences[:MAX_LISTED],
            difference(check, "", None, len(differences) - MAX_LISTED, "more_not_listed")]


def _checks(started_at: datetime, settle: timedelta, since: datetime | None) -> dict:
    checks = dict(LEDGER_CHECKS)
    if current_app.config.get("STRIPE_SECRET_KEY"):
        cutoff = started_at - settle
        checks.update({name: partial(check, cutoff, **({"since": since} if "since" in signature(check).parameters
                                                         else {}))
                       for name, check in STRIPE_CHECKS.items()})
    return checks


def run(*, settle: timedelta = SETTLE, since: datetime | None = None, trigger: str = "schedule",
        started_by=None) -> ReconciliationRun:
    """Run every check and store the result (the caller commits). `settle`: how old a Stripe object
    must be before its missing counterpart in the ledger counts as a difference; `since`: the first
    moment (UTC) whose Stripe balance transactions are compared one by one (default: yesterday, UTC).
    `trigger` and `started_by` record who asked (the schedule, the CLI, a staff member)."""
    _one_snapshot()
    started_at = utcnow()
    since = since or default_since(started_at - settle)
    checked, differences = {}, []
    for name, check in _checks(started_at, settle, since).items():
        try:
            outcome = check()
        except StripeUnreachable as exc:
            outcome = Outcome(0, [exc.difference])
        checked[name] = outcome.checked
        differences += _capped(name, outcome.differences)
    record = ReconciliationRun(started_at=started_at, finished_at=utcnow(), ok=not differences, checked=checked,
                               differences=differences, trigger=trigger, started_by_id=getattr(started_by, "id", None),
                               since=since, settle_seconds=int(settle.total_seconds()))
    db.session.add(record)
    db.session.flush()
    return record


def request_run(staff) -> str:
    """Queue a run once this transaction commits (the finance page's button), recorded with who asked;
    the worker's job calls run() and commits. Returns the job's id."""
    if staff is None or not staff.is_admin:
        raise Forbidden()
    job_id = uuid4().hex
    tasks.after_commit("reconcile_ledger", "finance_page", staff.id, job_id=job_id, job_timeout=RUN_TIMEOUT,
                       meta={"started_by": staff.id}, description="reconcile the ledger (requested from /finance)")
    audit.record(staff, "reconciliation.request", "reconciliation_run", None, after={"job_id": job_id})
    return job_id


def window_start(value: date | datetime | None) -> datetime | None:
    """`since` as given by a person: a date is its first moment in UTC, a time without a zone is UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return datetime.combine(value, time.min, tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run_by_staff(staff, *, since: date | datetime | None = None, settle_minutes: int = 15) -> ReconciliationRun:
    """A run a staff member asked for now (the API), recorded with who asked."""
    if staff is None or not staff.is_admin:
        raise Forbidden()
    current_app.logger.info("reconciliation run by staff %s (since %s, settle %s min)", staff.id, since,
                            settle_minutes)
    done = run(settle=timedelta(minutes=settle_minutes), since=window_start(since), trigger="api", started_by=staff)
    audit.record(staff, "reconciliation.run", "reconciliation_run", done.id,
                 after={"ok": done.ok, "differences": len(done.differences or []), "since": done.since,
                        "settle_minutes": settle_minutes})
    return done


# --- reading -----------------------------------------------------------------------------------------

def latest() -> ReconciliationRun | None:
    return db.session.scalar(select(ReconciliationRun)
                             .order_by(ReconciliationRun.started_at.desc(), ReconciliationRun.id.desc()).limit(1))


def runs(page: int = 1, per_page: int = 20) -> Page:
    return paginate(select(ReconciliationRun)
                    .order_by(ReconciliationRun.started_at.desc(), ReconciliationRun.id.desc()), page, per_page)


def get_run(run_id: int) -> ReconciliationRun:
    found = db.session.get(ReconciliationRun, run_id)
    if found is None:
        raise NotFound()
    return found
