"""Market insight (issue 20): what the market looks like per category, province and city, the seed
report's province service-ecosystem index, and monthly trends.

A nightly job (`recompute`) writes one MarketSnapshot; the market page and API read the latest
(`latest`). Everything here is set-based: one grouped query per figure, whatever the data size.

Privacy: aggregates only. A cell resting on fewer than MIN_CONTRACTS contracts shows no amount and no
median (null, "fewer than 5 contracts" on the page), so no contract's price or timing can be read
back from it. Counts (tenders, contracts, providers) are public anyway. Amounts are in MARKET_CURRENCY;
contracts in other currencies count in the counts only.

The index, per province, as the seed report defines it and Witkey measures its terms:
    index = (0.3 × d′ + 0.4 × p′ + 0.3 × m′) × 100
    d  provider density: providers based in the province per 100 brands registered there (a province
       without brands counts as one brand);
    p  market performance: the mean of the province's providers' rating scores (public on their
       pages), weighted by what each was paid (released) in the window; 0 with nothing released;
    m  paying-merchant density: brands of the province that funded at least one milestone in the
       window per 100 brands registered there (0 without brands);
    x′ = (x − min) / (max − min) over the provinces listed (those with a brand or a provider); when
       every province has the same value, the term is 0 for all — it sets none apart.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, distinct, func, select

from extensions import db
from models import BrandProfile, Contract, MarketSnapshot, Milestone, ProviderCategory, ProviderProfile, Tender, User
from models.bid import Bid
from models.catalog import CATEGORIES
from models.tender import TenderStatus
from models.types import utcnow
from services import bidding, tenders
from services.errors import NotFound

WINDOW = timedelta(days=365)
MIN_CONTRACTS = 5
MARKET_CURRENCY = "CNY"
WEIGHTS = {"provider_density": 0.3, "market_performance": 0.4, "paying_density": 0.3}
MONTHS = 12
KEEP_SNAPSHOTS = 30


# --- the index ------------------------------------------------------------------------------------

@dataclass
class ProvinceTerms:
    province: str
    providers: int
    brands: int
    paying_brands: int
    weighted_score: float  # Σ score × paid
    paid: int  # Σ paid

    @property
    def provider_density(self) -> float:
        return self.providers * 100 / max(self.brands, 1)

    @property
    def market_performance(self) -> float:
        return self.weighted_score / self.paid if self.paid else 0.0

    @property
    def paying_density(self) -> float:
        return self.paying_brands * 100 / self.brands if self.brands else 0.0


def ecosystem_index(terms: list[ProvinceTerms]) -> list[dict]:
    """Each province's three terms, their min-max normalised values and the index, highest first."""
    raw = {name: [getattr(t, name) for t in terms] for name in WEIGHTS}

    def normalised(name: str, value: float) -> float:
        low, high = min(raw[name]), max(raw[name])
        return (value - low) / (high - low) if high > low else 0.0

    rows = []
    for t in terms:
        row = {"province": t.province}
        index = 0.0
        for name, weight in WEIGHTS.items():
            value = getattr(t, name)
            row[name] = round(value, 2)
            index += weight * normalised(name, value)
        row["index"] = round(index * 100, 1)
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["index"], r["province"]))


# --- gathering ------------------------------------------------------------------------------------

def _contracts(since) -> list:
    """The window's awarded contracts with what the cells need (one query)."""
    bids = select(Bid.tender_id, func.count(Bid.id).label("n")).group_by(Bid.tender_id).subquery()
    return db.session.execute(
        select(Tender.category, BrandProfile.province, BrandProfile.city, Contract.amount, Contract.currency,
               Contract.created_at, Tender.created_at.label("published_at"), func.coalesce(bids.c.n, 0))
        .join(Tender, Tender.id == Contract.tender_id)
        .outerjoin(BrandProfile, BrandProfile.user_id == Contract.brand_id)
        .outerjoin(bids, bids.c.tender_id == Tender.id)
        .where(Contract.created_at >= since)).all()


def _open_tenders() -> list:
    return db.session.execute(
        select(Tender.category, BrandProfile.province, BrandProfile.city, func.count(Tender.id))
        .outerjoin(BrandProfile, BrandProfile.user_id == Tender.brand_id)
        .where(Tender.status == TenderStatus.OPEN, Tender.invited_only.is_(False),
               Tender.brand_id.not_in(User.suspended_ids()))
        .group_by(Tender.category, BrandProfile.province, BrandProfile.city)).all()


def _providers() -> list:
    """(id, province, city, verified, stars, score) of every provider that can be dealt with."""
    return db.session.execute(
        select(ProviderProfile.user_id, ProviderProfile.province, ProviderProfile.city,
               ProviderProfile.verification_status == "verified", ProviderProfile.stars,
               ProviderProfile.rating_score)
        .join(User, User.id == ProviderProfile.user_id)
        .where(User.active.is_(True), User.suspended_at.is_(None))).all()


def _paid_by_provider(since) -> dict[int, int]:
    # int(): PostgreSQL sums a BIGINT column as NUMERIC
    return {provider: int(paid) for provider, paid in db.session.execute(
        select(Contract.provider_id, func.sum(Milestone.released_amount))
        .join(Milestone, Milestone.contract_id == Contract.id)
        .where(Milestone.released_at >= since, Milestone.currency == MARKET_CURRENCY)
        .group_by(Contract.provider_id))}


def _brands_by_province(since) -> tuple[Counter, Counter]:
    registered = Counter(dict(db.session.execute(
        select(BrandProfile.province, func.count()).where(BrandProfile.province.is_not(None))
        .group_by(BrandProfile.province)).all()))
    paying = Counter(dict(db.session.execute(
        select(BrandProfile.province, func.count(distinct(Contract.brand_id)))
        .join(Contract, Contract.brand_id == BrandProfile.user_id)
        .join(Milestone, Milestone.contract_id == Contract.id)
        .where(BrandProfile.province.is_not(None), Milestone.funded_at >= since)
        .group_by(BrandProfile.province)).all()))
    return registered, paying


# --- cells ----------------------------------------------------------------------------------------

class _Cell:
    """What one category, province or city adds up to."""

    def __init__(self):
        self.open_tenders = 0
        self.contracts = 0
        self.amounts: list[int] = []
        self.days: list[float] = []
        self.bids: list[int] = []
        self.providers = 0
        self.verified = 0
        self.stars: Counter = Counter()

    def add_contract(self, amount, currency, awarded_at, published_at, bids) -> None:
        self.contracts += 1
        if currency == MARKET_CURRENCY:
            self.amounts.append(amount)
        self.days.append((awarded_at - published_at).total_seconds() / 86400)
        self.bids.append(bids)

    def add_provider(self, verified, stars) -> None:
        self.providers += 1
        self.verified += bool(verified)
        self.stars[str(stars) if stars else "new"] += 1

    def out(self) -> dict:
        shown = self.contracts >= MIN_CONTRACTS
        return {
            "open_tenders": self.open_tenders,
            "awarded_contracts": self.contracts,
            "awarded_volume": sum(self.amounts) if shown else None,
            "median_awarded_amount": int(median(self.amounts)) if shown and self.amounts else None,
            "median_days_to_award": round(median(self.days), 1) if shown else None,
            "median_bids": median(self.bids) if shown else None,
            "providers": self.providers,
            "verified_share": round(self.verified / self.providers, 3) if self.providers else None,
            "stars": {level: self.stars.get(level, 0) for level in ("new", "3", "4", "5", "6")},
        }


def _months(now) -> list[dict]:
    """Tenders published, contracts awarded and their volume per calendar month (UTC), oldest first."""
    first = now.year * 12 + now.month - 1 - (MONTHS - 1)  # months since year 0, of the oldest month shown
    start = now.replace(year=first // 12, month=first % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)
    published = Counter(f"{t:%Y-%m}" for t in db.session.scalars(
        select(Tender.created_at).where(Tender.created_at >= start, Tender.invited_only.is_(False))))
    awarded: dict[str, list[int]] = defaultdict(list)
    counts: Counter = Counter()
    for at, amount, currency in db.session.execute(
            select(Contract.created_at, Contract.amount, Contract.currency).where(Contract.created_at >= start)):
        counts[f"{at:%Y-%m}"] += 1
        if currency == MARKET_CURRENCY:
            awarded[f"{at:%Y-%m}"].append(amount)
    months, cursor = [], start
    while cursor <= now:
        key = f"{cursor:%Y-%m}"
        months.append({"month": key, "tenders_published": published.get(key, 0),
                       "awarded_contracts": counts.get(key, 0),
                       "awarded_volume": sum(awarded[key]) if counts.get(key, 0) >= MIN_CONTRACTS else None})
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def compute(now=None) -> dict:
    """The whole snapshot as plain data (JSON-ready)."""
    now = now or utcnow()
    since = now - WINDOW
    categories: dict[str, _Cell] = {c: _Cell() for c in CATEGORIES}
    provinces: dict[str, _Cell] = defaultdict(_Cell)
    cities: dict[tuple[str, str], _Cell] = defaultdict(_Cell)

    def cells(category, province, city):
        found = [categories[category]] if category in categories else []
        if province:
            found.append(provinces[province])
            if city:
                found.append(cities[(province, city)])
        return found

    for category, province, city, count in _open_tenders():
        for cell in cells(category, province, city):
            cell.open_tenders += count
    for category, province, city, amount, currency, awarded_at, published_at, bids in _contracts(since):
        for cell in cells(category, province, city):
            cell.add_contract(amount, currency, awarded_at, published_at, bids)

    served = defaultdict(list)
    for provider_id, category in db.session.execute(select(ProviderCategory.provider_id, ProviderCategory.category)):
        served[provider_id].append(category)
    paid = _paid_by_provider(since)
    scores: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])  # providers, Σ score × paid, Σ paid
    for provider_id, province, city, verified, stars, score in _providers():
        for category in served.get(provider_id, ()):
            if category in categories:
                categories[category].add_provider(verified, stars)
        if province:
            for cell in cells(None, province, city):
                cell.add_provider(verified, stars)
            acc = scores[province]
            acc[0] += 1
            if score is not None and paid.get(provider_id):
                acc[1] += float(score) * paid[provider_id]
                acc[2] += paid[provider_id]

    registered, paying = _brands_by_province(since)
    listed = sorted(set(registered) | set(scores))
    index = {row["province"]: row for row in ecosystem_index([
        ProvinceTerms(p, scores[p][0] if p in scores else 0, registered.get(p, 0), paying.get(p, 0),
                      scores[p][1] if p in scores else 0.0, scores[p][2] if p in scores else 0)
        for p in listed])}
    return {
        "computed_at": now.isoformat(),
        "window_days": WINDOW.days,
        "min_contracts": MIN_CONTRACTS,
        "currency": MARKET_CURRENCY,
        "categories": [{"category": c, **cell.out()} for c, cell in categories.items()],
        "provinces": [{**index[p], "brands": registered.get(p, 0), **provinces[p].out()}
                      for p in sorted(listed, key=lambda p: (-index[p]["index"], p))],
        "cities": [{"province": p, "city": c, **cell.out()} for (p, c), cell in sorted(cities.items())],
        "months": _months(now),
    }


# --- reading and the job --------------------------------------------------------------------------

def recompute(now=None) -> MarketSnapshot:
    """The nightly job: a new snapshot; the oldest beyond KEEP_SNAPSHOTS go."""
    snapshot = MarketSnapshot(computed_at=now or utcnow(), data=compute(now))
    db.session.add(snapshot)
    db.session.flush()
    keep = select(MarketSnapshot.id).order_by(MarketSnapshot.computed_at.desc()).limit(KEEP_SNAPSHOTS)
    db.session.execute(delete(MarketSnapshot).where(MarketSnapshot.id.not_in(keep.scalar_subquery())))
    return snapshot


def latest() -> dict:
    """The newest snapshot's data. Before the first nightly run (a new installation) it is computed for
    the reader and not stored: a read never writes, and the job stores the first one that night."""
    snapshot = db.session.scalar(select(MarketSnapshot).order_by(MarketSnapshot.computed_at.desc()).limit(1))
    return snapshot.data if snapshot is not None else compute()


def category_row(category: str) -> dict | None:
    return next((row for row in latest()["categories"] if row["category"] == category), None)


@dataclass
class Comparison:
    """How the brand's own tender compares with its category's awarded contracts (None: too few)."""
    budget_max: int
    median_awarded_amount: int | None
    bids: int
    median_bids: float | None
    awarded_contracts: int


def compare(viewer: User | None, tender_id: int) -> Comparison:
    """For the tender's own brand (its members); 404 for anyone else — a sealed tender's bid count is
    the brand's to know."""
    tender = tenders.get_tender(tender_id, viewer=viewer)
    if viewer is None or viewer.account_id != tender.brand_id:
        raise NotFound(_l("No such tender."))
    row = category_row(tender.category) or {"median_awarded_amount": None, "median_bids": None,
                                             "awarded_contracts": 0}
    median_amount = row["median_awarded_amount"] if tender.currency == MARKET_CURRENCY else None
    return Comparison(budget_max=tender.budget_max, median_awarded_amount=median_amount,
                      bids=bidding.bid_count(tender), median_bids=row["median_bids"],
                      awarded_contracts=row["awarded_contracts"])
