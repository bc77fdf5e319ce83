"""The finance dashboard's numbers, straight from the ledger: balances now, and money moved per day
and per week in the viewer's time zone. Each figure is a GROUP BY in the database, never a loop over
entries. Day and week boundaries are computed here in the viewer's zone (so daylight-saving days are
right) and handed to SQL as UTC instants, which works the same on PostgreSQL and SQLite."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from extensions import db
from models import Contract, LedgerAccount, LedgerEntry, LedgerPosting, Milestone
from models.types import utcnow
from services import ledger

DAYS, WEEKS = 30, 12

# Balances now: figure → account kind. "revenue" is gross (the commission); processor fees are kept as a
# negative balance (an expense), shown as "fees" (positive) and taken off for "net_revenue".
BALANCES = {"escrow": ("escrow", "contest_escrow"), "payable": ("provider_payable",),
            "in_flight": ("payouts_clearing",), "revenue": ("platform_revenue",), "fees": ("processor_fees",)}


@dataclass(frozen=True)
class Flow:
    """Money moved: entries on `accounts` in postings of `kinds` (None: any kind), times `sign`."""

    kinds: tuple | None
    accounts: tuple
    sign: int = 1


FLOWS = {
    # into a milestone's escrow, or a contest's prize escrow at publish
    "funded": Flow(("fund", "contest_fund"), ("escrow", "contest_escrow")),
    # released to the provider and the platform: by acceptance, auto-release, a dispute decision, or a
    # contest's award (the brand's pick or the worker's split)
    "released": Flow(("release", "resolution", "contest_award"), ("provider_payable", "platform_revenue")),
    "revenue": Flow(None, ("platform_revenue",)),
    "paid_out": Flow(("payout_paid",), ("payouts_clearing",), -1),
    "fees": Flow(None, ("processor_fees",), -1),  # what Stripe kept of card payments
    "net_revenue": Flow(None, ("platform_revenue", "processor_fees")),
}
METRICS = tuple(FLOWS)


@dataclass
class Series:
    starts: list[date]  # each bucket's first day, in the viewer's zone
    amounts: dict[str, dict[str, list[int]]]  # currency → metric → one amount per bucket

    def rows(self, currency: str) -> list[tuple[date, dict[str, int]]]:
        """(first day, metric → amount) per bucket, oldest first; zeros for a currency that did not move."""
        amounts = self.amounts.get(currency, {})
        return [(start, {m: amounts[m][i] if amounts else 0 for m in METRICS}) for i, start in enumerate(self.starts)]


@dataclass
class Overview:
    totals: dict[str, dict[str, int]]  # currency → figure (BALANCES + "paid_out", "net_revenue") → amount
    daily: Series
    weekly: Series
    by_engagement: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # currency → type → figures

    @property
    def currencies(self) -> list[str]:
        return sorted(self.totals.keys() | self.daily.amounts.keys() | self.weekly.amounts.keys())


def _flow_rows(bucket, start: datetime, end: datetime):
    """Sum of entries per (bucket, posting kind, account kind, currency) on the accounts FLOWS read.
    The bucket expression is grouped through a subquery: PostgreSQL would not match a CASE with bound
    parameters in SELECT to the same CASE in GROUP BY."""
    accounts = {kind for flow in FLOWS.values() for kind in flow.accounts}
    inner = (select(bucket.label("bucket"), LedgerPosting.kind.label("posting_kind"),
                    LedgerAccount.kind.label("account_kind"), LedgerEntry.currency, LedgerEntry.amount)
             .select_from(LedgerEntry).join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
             .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
             .where(LedgerAccount.kind.in_(sorted(accounts)), LedgerPosting.created_at >= start,
                    LedgerPosting.created_at < end).subquery())
    return db.session.execute(
        select(inner.c.bucket, inner.c.posting_kind, inner.c.account_kind, inner.c.currency, func.sum(inner.c.amount))
        .group_by(inner.c.bucket, inner.c.posting_kind, inner.c.account_kind, inner.c.currency)).all()


def _metrics_of(posting_kind: str, account_kind: str):
    """(metric, sign) for every metric an entry on this posting and account kind counts towards."""
    for metric, flow in FLOWS.items():
        if account_kind in flow.accounts and (flow.kinds is None or posting_kind in flow.kinds):
            yield metric, flow.sign


def _series(starts: list[date], step: timedelta, zone: ZoneInfo) -> Series:
    bounds = [datetime.combine(day, time.min, tzinfo=zone) for day in [*starts, starts[-1] + step]]
    bucket = case(*((LedgerPosting.created_at < end, i) for i, end in enumerate(bounds[1:])))
    amounts = defaultdict(lambda: {m: [0] * len(starts) for m in METRICS})
    for i, posting_kind, account_kind, currency, total in _flow_rows(bucket, bounds[0], bounds[-1]):
        for metric, sign in _metrics_of(posting_kind, account_kind):
            amounts[currency][metric][i] += sign * int(total)
    return Series(starts=starts, amounts=dict(amounts))


def _paid_out() -> dict[str, int]:
    """Everything ever paid out, per currency (only payout_paid postings are read)."""
    flow = FLOWS["paid_out"]
    rows = db.session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerPosting.kind.in_(flow.kinds), LedgerAccount.kind.in_(flow.accounts))
        .group_by(LedgerEntry.currency))
    return {currency: flow.sign * int(total) for currency, total in rows}


def _totals() -> dict[str, dict[str, int]]:
    totals = defaultdict(lambda: dict.fromkeys([*BALANCES, "paid_out", "net_revenue"], 0))
    figure_of = {kind: figure for figure, kinds in BALANCES.items() for kind in kinds}
    for balance in ledger.summary()[0]:
        if balance.kind in figure_of:
            totals[balance.currency][figure_of[balance.kind]] += balance.amount
    for currency, amount in _paid_out().items():
        totals[currency]["paid_out"] = amount
    for figures in totals.values():
        figures["fees"] = -figures["fees"]  # the expense account's balance is negative by the fees paid
        figures["net_revenue"] = figures["revenue"] - figures["fees"]
    return dict(totals)


def income_by_engagement() -> dict[str, dict[str, dict[str, int]]]:
    """Released to providers and the platform's commission on it, by the contract's engagement type
    (fixed, retainer, metered) and currency: one GROUP BY over release and dispute postings."""
    released = FLOWS["released"]
    rows = db.session.execute(
        select(LedgerEntry.currency, Contract.engagement, LedgerAccount.kind, func.sum(LedgerEntry.amount))
        .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(Milestone, Milestone.id == LedgerPosting.milestone_id)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(LedgerPosting.kind.in_(released.kinds), LedgerAccount.kind.in_(released.accounts))
        .group_by(LedgerEntry.currency, Contract.engagement, LedgerAccount.kind))
    out: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    for currency, engagement, kind, amount in rows:
        figures = out[currency].setdefault(engagement, {"released": 0, "revenue": 0})
        figures["released"] += int(amount)
        if kind == "platform_revenue":
            figures["revenue"] += int(amount)
    return dict(out)


def today_in(zone: ZoneInfo) -> date:
    return utcnow().astimezone(zone).date()


def overview(timezone: str) -> Overview:
    """Balances per currency, and the last DAYS days and WEEKS weeks (Monday to Sunday) in `timezone`."""
    zone = ZoneInfo(timezone)
    today = today_in(zone)
    monday = today - timedelta(days=today.weekday())
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    return Overview(totals=_totals(), daily=_series(days, timedelta(days=1), zone),
                    weekly=_series(weeks, timedelta(weeks=1), zone), by_engagement=income_by_engagement())
