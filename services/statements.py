"""Monthly statements read from the ledger: a provider's payable account, and a brand's spend by contract.

A month runs from midnight on the 1st to midnight on the next 1st in the reader's time zone; both
instants are converted to UTC for the queries, so 2026-10-31T17:00Z is November in Asia/Shanghai.
Every figure is a sum of ledger entries, so a provider statement reconciles by construction:
closing = opening + the month's entries on its payable account. Each statement is a fixed handful
of set-based queries, however many lines the month has.
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from extensions import db
from models import Contract, LedgerAccount, LedgerEntry, LedgerPosting, Milestone, User
from services import permissions

# Posting kinds whose provider share carries a platform commission (taken as the posting's
# platform_revenue entry, so gross − commission is exactly the payable entry). A dispute correction
# moves commission with the share (services/disputes.correction): a negative one gives it back.
EARNING_KINDS = ("release", "resolution", "adjustment")
CATEGORY_OF_EARNING = {"release": "releases", "resolution": "dispute_outcomes", "adjustment": "adjustments"}
# Postings that give a brand money back from a milestone: the brand's share of a dispute decision
# (to its wallet, or back to the card through stripe_clearing) and staff corrections (either sign).
# A release of a retainer or metered period (or a milestone with KPI terms) also returns what the
# provider did not earn: unused cap, unearned bonus, a penalty (services/period_money.py).
RETURN_KINDS = ("release", "resolution", "adjustment")
BRAND_ACCOUNTS = ("brand_wallet", "stripe_clearing")
CATEGORY_OF_KIND = {"payout": "payouts", "payout_reversal": "payout_reversals"}
MONTH_PATTERN = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only (\d would take "２０２６")
YEARS = range(1900, 3000)  # anything else typed into ?month= is a typo, not a statement


def zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


# --- months ----------------------------------------------------------------------------------------

@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> "Month":
        """"2026-10" → Month(2026, 10); ValueError for anything else (the web layer answers 400)."""
        match = MONTH_PATTERN.fullmatch(text or "")
        if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"not a YYYY-MM month: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime, tz: str | tzinfo) -> "Month":
        local = moment.astimezone(zone(tz))
        return cls(local.year, local.month)

    def shift(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def previous(self) -> "Month":
        return self.shift(-1)

    @property
    def next(self) -> "Month":
        return self.shift(1)

    def start(self, tz: str | tzinfo) -> datetime:
        """Midnight on the 1st in the zone, as a UTC instant."""
        return datetime(self.year, self.month, 1, tzinfo=zone(tz)).astimezone(UTC)

    def bounds(self, tz: str | tzinfo) -> tuple[datetime, datetime]:
        return self.start(tz), self.next.start(tz)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _in_month(month: Month, tz) -> object:
    start, end = month.bounds(tz)
    return and_(LedgerPosting.created_at >= start, LedgerPosting.created_at < end)


# --- provider statement ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StatementLine:
    posted_at: datetime  # aware UTC; shown in the reader's zone
    kind: str
    key: str
    reference: str | None
    memo: str
    milestone_id: int | None
    milestone_title: str | None
    contract_id: int | None
    tender_title: str | None
    gross: int  # what the event was worth before commission (= net for kinds without one)
    commission: int  # the platform's cut (< 0 where a correction gave it back)
    net: int  # the entry on the payable account, signed
    balance: int  # the payable balance after this line
    engagement: str | None = None  # of the line's contract: fixed, retainer, metered
    currency: str = ""
    bonus: int = 0  # a period's release: the KPI bonus paid in it …
    penalty: int = 0  # … and the KPI penalty withheld from it
    milestone_number: int | None = None  # its place in the contract, from 1 (the statement's sentence names it)


@dataclass
class CategoryTotals:
    """The month by category. `releases`, `dispute_outcomes` and `adjustments` are gross; `commissions`
    is what the platform took from them (less what corrections gave back); the rest are the signed
    entries. `other` catches any kind added later, so the categories always add up to the month's change."""

    releases: int = 0
    dispute_outcomes: int = 0
    commissions: int = 0
    adjustments: int = 0
    payouts: int = 0
    payout_reversals: int = 0
    other: int = 0
    # gross earnings (releases, dispute outcomes, corrections) by the contract's engagement type
    by_engagement: dict = field(default_factory=dict)

    @property
    def net(self) -> int:
        return (self.releases + self.dispute_outcomes - self.commissions + self.adjustments + self.payouts
                + self.payout_reversals + self.other)

    def add(self, line: StatementLine) -> None:
        if line.kind in EARNING_KINDS:
            self._bump(CATEGORY_OF_EARNING[line.kind], line.gross)
            self.commissions += line.commission
            engagement = line.engagement or "fixed"
            self.by_engagement[engagement] = self.by_engagement.get(engagement, 0) + line.gross
        else:
            self._bump(CATEGORY_OF_KIND.get(line.kind, "other"), line.net)

    def _bump(self, category: str, amount: int) -> None:
        setattr(self, category, getattr(self, category) + amount)


@dataclass
class ProviderStatement:
    currency: str
    month: Month
    opening: int
    lines: list[StatementLine] = field(default_factory=list)
    totals: CategoryTotals = field(default_factory=CategoryTotals)

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening

    def add(self, **fields) -> None:
        """Append the next line (in posting order), carrying the running balance."""
        line = StatementLine(**fields, balance=self.closing + fields["net"])
        self.lines.append(line)
        self.totals.add(line)


def _payable_of(provider_id: int):
    return and_(LedgerAccount.kind == "provider_payable", LedgerAccount.user_id == provider_id)


def _payable_entries(provider_id: int, *columns):
    return (select(*columns).select_from(LedgerEntry)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .where(_payable_of(provider_id)))


def _openings(provider_id: int, start: datetime) -> dict[str, int]:
    """Balance per currency at `start`, for every currency the provider had money in by then."""
    rows = db.session.execute(_payable_entries(provider_id, LedgerEntry.currency, func.sum(LedgerEntry.amount))
                              .where(LedgerPosting.created_at < start).group_by(LedgerEntry.currency))
    return {currency: int(amount) for currency, amount in rows}


def _commission_column():
    """The posting's platform_revenue entry in the line's currency (0 when there is none)."""
    entry, account = aliased(LedgerEntry), aliased(LedgerAccount)
    return (select(func.coalesce(func.sum(entry.amount), 0))
            .join(account, account.id == entry.account_id)
            .where(entry.posting_id == LedgerPosting.id, entry.currency == LedgerEntry.currency,
                   account.kind == "platform_revenue")
            .correlate(LedgerPosting, LedgerEntry).scalar_subquery())


def _month_rows(provider_id: int, month: Month, tz):
    stmt = (_payable_entries(provider_id, LedgerEntry.currency, LedgerEntry.amount, LedgerPosting.created_at,
                             LedgerPosting.kind, LedgerPosting.key, LedgerPosting.reference, LedgerPosting.memo,
                             LedgerPosting.milestone_id, Milestone.title, Contract.id, Contract.title,
                             _commission_column(), Contract.engagement, LedgerPosting.meta, Milestone.position)
            .outerjoin(Milestone, Milestone.id == LedgerPosting.milestone_id)
            .outerjoin(Contract, Contract.id == Milestone.contract_id)
            .where(_in_month(month, tz))
            .order_by(LedgerPosting.created_at, LedgerPosting.id, LedgerEntry.id))
    return db.session.execute(stmt).all()


def provider_statement(provider: User, year: int, month: int, tz: str | tzinfo) -> list[ProviderStatement]:
    """One statement per currency the provider has had money in by the end of the month (two queries)."""
    permissions.require(provider, "statements.read")
    which = Month(year, month)
    statements = {currency: ProviderStatement(currency, which, opening)
                  for currency, opening in _openings(provider.account_id, which.start(tz)).items()}
    for (currency, amount, posted_at, kind, key, reference, memo, milestone_id, milestone_title, contract_id,
         tender_title, revenue, engagement, meta, position) in _month_rows(provider.account_id, which, tz):
        commission = int(revenue) if kind in EARNING_KINDS else 0
        statements.setdefault(currency, ProviderStatement(currency, which, 0)).add(
            posted_at=posted_at, kind=kind, key=key, reference=reference, memo=memo or "", milestone_id=milestone_id,
            milestone_title=milestone_title, contract_id=contract_id, tender_title=tender_title,
            gross=int(amount) + commission, commission=commission, net=int(amount), engagement=engagement,
            currency=currency,
            bonus=int((meta or {}).get("bonus") or 0) if kind == "release" else 0,
            penalty=int((meta or {}).get("penalty") or 0) if kind == "release" else 0,
            milestone_number=None if position is None else position + 1)
    return [statements[currency] for currency in sorted(statements)]


def milestone_refs(milestone_ids) -> dict[int, tuple[int, str, str]]:
    """Each milestone's number in its contract (from 1), its tender's title and the contract's engagement,
    for ledger lines told as sentences (i18n.labels.statement_sentence); one query for a page of lines."""
    ids = {i for i in milestone_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Milestone.id, Milestone.position, Contract.title, Contract.engagement)
                              .join(Contract, Contract.id == Milestone.contract_id).where(Milestone.id.in_(ids)))
    return {mid: (position + 1, title, engagement) for mid, position, title, engagement in rows}


# --- brand spend -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContractSpend:
    contract_id: int
    tender_title: str
    funded: int  # paid into escrow this month, from the wallet or by card
    returned: int  # came back to the brand this month (negative when a correction charged it more)
    engagement: str = "fixed"

    @property
    def net(self) -> int:
        return self.funded - self.returned


@dataclass
class BrandSpend:
    currency: str
    month: Month
    contracts: list[ContractSpend] = field(default_factory=list)

    @property
    def funded(self) -> int:
        return sum(c.funded for c in self.contracts)

    @property
    def returned(self) -> int:
        return sum(c.returned for c in self.contracts)

    @property
    def net(self) -> int:
        return self.funded - self.returned

    @property
    def by_engagement(self) -> dict[str, int]:
        """Net spend by the contracts' engagement type."""
        out: dict[str, int] = {}
        for c in self.contracts:
            out[c.engagement] = out.get(c.engagement, 0) + c.net
        return out


# Spend is read on the escrow side of each milestone posting, so card and wallet funding both count.
_FUNDING = and_(LedgerPosting.kind == "fund", LedgerAccount.kind == "escrow")
_RETURN = and_(LedgerPosting.kind.in_(RETURN_KINDS), LedgerAccount.kind.in_(BRAND_ACCOUNTS))


def _brand_entries(brand_id: int, *columns):
    """Entries that fund a brand's milestones or give it money back, with their contract."""
    return (select(*columns).select_from(LedgerEntry)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
            .join(Milestone, Milestone.id == LedgerPosting.milestone_id)
            .join(Contract, Contract.id == Milestone.contract_id)
            .where(Contract.brand_id == brand_id, or_(_FUNDING, _RETURN)))


def brand_spend(brand: User, year: int, month: int, tz: str | tzinfo) -> list[BrandSpend]:
    """Per currency, each contract's funding, money returned and net spend in the month (one query)."""
    permissions.require(brand, "statements.read")
    which = Month(year, month)
    funded = func.sum(case((_FUNDING, LedgerEntry.amount), else_=0))
    returned = func.sum(case((_RETURN, LedgerEntry.amount), else_=0))
    rows = db.session.execute(
        _brand_entries(brand.account_id, LedgerEntry.currency, Contract.id, Contract.title, funded, returned,
                       Contract.engagement)
        .where(_in_month(which, tz))
        .group_by(LedgerEntry.currency, Contract.id, Contract.title, Contract.engagement)
        .order_by(LedgerEntry.currency, Contract.id))
    spends: dict[str, BrandSpend] = {}
    for currency, contract_id, title, paid, back, engagement in rows:
        spends.setdefault(currency, BrandSpend(currency, which)).contracts.append(
            ContractSpend(contract_id=contract_id, tender_title=title, funded=int(paid), returned=int(back),
                          engagement=engagement))
    return list(spends.values())


# --- navigation ------------------------------------------------------------------------------------

def months_with_activity(user: User, tz: str | tzinfo) -> list[Month]:
    """The months (newest first) in which the user's statement has lines: payable entries for a
    provider, spend entries for a brand."""
    if (user.is_provider or user.is_brand) and not permissions.allowed(user, "statements.read"):
        return []
    if user.is_provider:
        return _active_months(_payable_entries(user.account_id, LedgerPosting.created_at), tz)
    if user.is_brand:
        return _active_months(_brand_entries(user.account_id, LedgerPosting.created_at), tz)
    return []


def _active_months(times_stmt, tz) -> list[Month]:
    """Local months cannot be computed portably in SQL (SQLite has no time zones), so bucket the
    times by the UTC instants where local months begin: one CASE over the first..last active month."""
    times = times_stmt.subquery()
    first, last = db.session.execute(select(func.min(times.c.created_at), func.max(times.c.created_at))).one()
    if first is None:
        return []
    months, month = [], Month.containing(first, tz)
    while month <= Month.containing(last, tz):
        months.append(month)
        month = month.next
    bucket = case(*[(times.c.created_at < m.next.start(tz), i) for i, m in enumerate(months)], else_=len(months) - 1)
    active = db.session.scalars(select(bucket).group_by(bucket))
    return sorted((months[i] for i in active), reverse=True)
