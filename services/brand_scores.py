"""The brand score: what providers learn about a brand before they bid, 0–100, explained the way provider
ratings are. The formula, weights and thresholds live here and nowhere else (texts/brand_score_text.py
formats them into the pages).

Six parts, each a mark from 0 to 100, over the last WINDOW (12 months); a part with nothing to measure
gets full marks, as with provider ratings:
1. Payment speed: the average days from when a milestone was owed (its period's start, else the release
   of the milestone before it, else the award) to the brand funding it; PAYMENT_DAYS[0] or less → 100,
   PAYMENT_DAYS[1] or more → 0, linear between.
2. Acceptance speed: the average days from a delivery to the brand releasing it (ACCEPTANCE_DAYS alike).
3. Silence: the share of releases that happened by themselves because the brand said nothing until
   the auto-release; SILENCE_SHARE_FOR_ZERO of them or more → 0.
4. Disputes: disputes on the brand's funded milestones (DISPUTE_POINTS["opened"]) and disputes decided
   against it — the provider got at least half (DISPUTE_POINTS["lost"]); each DISPUTE_STEP of funded
   milestones costs half of a part's points.
5. Cancellations after bids: tenders cancelled once providers had bid, of the tenders that got bids;
   CANCEL_SHARE_FOR_ZERO of them or more → 0.
6. Providers' reviews of the brand: a Bayesian average (the platform mean of providers' reviews counts
   as PRIOR_REVIEWS reviews), 1–5 mapped to 0–100.

score = Σ WEIGHTS[part] × mark. A brand with fewer than MIN_CONTRACTS contracts (not cancelled) shows
"new", never a number.

The inputs are aggregated for every brand at once (GROUP BY brand, a fixed number of queries), the
formula runs per brand in Python, and only the scores that changed are written, in one executemany.
"""
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Float, and_, case, cast, exists, func, literal, select, update
from sqlalchemy.orm import aliased

from extensions import db
from models import Bid, BrandProfile, Contract, Dispute, Milestone, MilestoneEvent, Review, Tender
from models.contract import ContractStatus, MilestoneStatus
from models.dispute import STAFF_DISPUTE_REASONS, DisputeStatus
from models.tender import TenderStatus
from services.reviews import published

WINDOW = timedelta(days=365)
WEIGHTS = {"payment": 0.25, "acceptance": 0.15, "silence": 0.10, "disputes": 0.20, "cancellations": 0.10,
           "reviews": 0.20}
PAYMENT_DAYS = (1, 14)  # full marks at or below the first, none at or above the second
ACCEPTANCE_DAYS = (1, 7)
SILENCE_SHARE_FOR_ZERO = 0.5
DISPUTE_POINTS = {"opened": 40, "lost": 60}
DISPUTE_STEP = 0.1  # each 10 % of funded milestones disputed (or lost) costs half of that part's points
CANCEL_SHARE_FOR_ZERO = 0.5
PRIOR_REVIEWS = 3.0
DEFAULT_REVIEW_MEAN = 4.0
MIN_CONTRACTS = 2


@dataclass
class BrandInputs:
    """Everything the formula reads about one brand (aggregated in SQL by `gather`)."""

    contracts: int = 0  # not cancelled, ever: "new brand" below MIN_CONTRACTS
    funded: int = 0  # milestones funded in the window
    funding_days: float = 0.0  # Σ days from owed to funded
    accepted: int = 0  # releases the brand made itself
    acceptance_days: float = 0.0  # Σ days from delivery to the brand's release
    auto_released: int = 0  # releases that happened by themselves
    disputes: int = 0  # opened on the brand's milestones (not staff's own settling of a suspended account)
    disputes_lost: int = 0  # decided with the provider getting at least half
    tenders_with_bids: int = 0
    cancelled_after_bids: int = 0
    reviews: int = 0  # providers' published reviews of the brand
    review_score_sum: float = 0.0  # Σ review mean (1–5)


@dataclass
class BrandScore:
    score: float | None  # None: a new brand
    marks: dict[str, float]
    payment_days: float | None  # the headline figures (None: nothing to measure)
    acceptance_days: float | None
    review_average: float

    def as_dict(self) -> dict:
        return asdict(self)


def _clip(value: float) -> float:
    return max(0.0, min(100.0, value))


def _speed(total_days: float, count: int, bounds: tuple[int, int]) -> tuple[float, float | None]:
    if not count:
        return 100.0, None
    average = total_days / count
    full, zero = bounds
    return _clip((zero - average) / (zero - full) * 100), average


def _penalised(count: int, of: int) -> float:
    """1 with nothing against the brand, half at each DISPUTE_STEP of `of`, never below 0."""
    return max(0.0, 1 - count / of / (2 * DISPUTE_STEP)) if of else 1.0


def score(i: BrandInputs, review_mean: float = DEFAULT_REVIEW_MEAN) -> BrandScore:
    payment, payment_days = _speed(i.funding_days, i.funded, PAYMENT_DAYS)
    acceptance, acceptance_days = _speed(i.acceptance_days, i.accepted, ACCEPTANCE_DAYS)
    releases = i.accepted + i.auto_released
    silence = _clip((1 - i.auto_released / releases / SILENCE_SHARE_FOR_ZERO) * 100) if releases else 100.0
    disputes = (DISPUTE_POINTS["opened"] * _penalised(i.disputes, i.funded)
                + DISPUTE_POINTS["lost"] * _penalised(i.disputes_lost, i.funded))
    cancellations = (_clip((1 - i.cancelled_after_bids / i.tenders_with_bids / CANCEL_SHARE_FOR_ZERO) * 100)
                     if i.tenders_with_bids else 100.0)
    average = (PRIOR_REVIEWS * review_mean + i.review_score_sum) / (PRIOR_REVIEWS + i.reviews)
    marks = {"payment": payment, "acceptance": acceptance, "silence": silence, "disputes": _clip(disputes),
             "cancellations": cancellations, "reviews": _clip((average - 1) / 4 * 100)}
    marks = {name: round(value, 2) for name, value in marks.items()}
    total = round(sum(WEIGHTS[name] * marks[name] for name in WEIGHTS), 2)
    return BrandScore(score=None if i.contracts < MIN_CONTRACTS else total, marks=marks,
                      payment_days=None if payment_days is None else round(payment_days, 1),
                      acceptance_days=None if acceptance_days is None else round(acceptance_days, 1),
                      review_average=round(average, 2))


def explain(stored: dict | None) -> tuple[BrandInputs, BrandScore]:
    """The inputs stored with a brand's score, and the score's parts again (for its page)."""
    stored = stored or {}
    inputs = BrandInputs(**{f.name: stored[f.name] for f in fields(BrandInputs) if f.name in stored})
    return inputs, score(inputs, stored.get("review_mean", DEFAULT_REVIEW_MEAN))


# --- the inputs, for every brand at once ----------------------------------------------------------------------

def _days(later, earlier):
    """Days between two timestamps, as a double, never below 0."""
    if db.session.get_bind().dialect.name == "sqlite":
        days = func.julianday(later) - func.julianday(earlier)
    else:
        days = func.date_part("epoch", later - earlier) / 86400.0
    return case((days > 0, cast(days, Float)), else_=literal(0.0))


def _aggregates(since: datetime, now: datetime, brand_ids: list[int] | None):
    """(statement, input names): each statement yields brand_id and those inputs, one row per brand."""
    def scoped(stmt, column):
        return stmt.where(column.in_(brand_ids)) if brand_ids is not None else stmt

    yield (scoped(select(Contract.brand_id, func.count()).where(Contract.status != ContractStatus.CANCELLED)
                  .group_by(Contract.brand_id), Contract.brand_id), ("contracts",))
    # A milestone is owed from its period's start, else from the release of the one before it (the brand
    # funds the next stage once it accepted the last), else from the award.
    previous = aliased(Milestone)
    owed = func.coalesce(Milestone.starts_at, previous.released_at, Contract.created_at)
    yield (scoped(select(Contract.brand_id, func.count(), func.sum(_days(Milestone.funded_at, owed)))
                  .join(Milestone, Milestone.contract_id == Contract.id)
                  .outerjoin(previous, and_(previous.contract_id == Milestone.contract_id,
                                            previous.position == Milestone.position - 1))
                  .where(Milestone.funded_at >= since).group_by(Contract.brand_id), Contract.brand_id),
           ("funded", "funding_days"))
    # A release with no actor is the auto-release (services.escrow.transition records who moved it): the
    # milestones with one, joined once (not a subquery per milestone and use).
    auto_released = (select(MilestoneEvent.milestone_id)
                     .where(MilestoneEvent.kind == str(MilestoneStatus.RELEASED), MilestoneEvent.actor_id.is_(None))
                     .distinct().subquery("auto_released"))
    auto = auto_released.c.milestone_id.is_not(None)
    yield (scoped(select(Contract.brand_id, func.sum(case((auto, 0), else_=1)),
                         func.sum(case((auto, 0.0), else_=_days(Milestone.released_at, Milestone.delivered_at))),
                         func.sum(case((auto, 1), else_=0)))
                  .join(Milestone, Milestone.contract_id == Contract.id)
                  .outerjoin(auto_released, auto_released.c.milestone_id == Milestone.id)
                  .where(Milestone.status == MilestoneStatus.RELEASED, Milestone.released_at >= since,
                         Milestone.delivered_at.is_not(None))
                  .group_by(Contract.brand_id), Contract.brand_id),
           ("accepted", "acceptance_days", "auto_released"))
    lost = and_(Dispute.status == DisputeStatus.RESOLVED, Dispute.provider_amount * 2 >= Milestone.amount)
    yield (scoped(select(Contract.brand_id, func.count(), func.sum(case((lost, 1), else_=0)))
                  .join(Milestone, Milestone.contract_id == Contract.id)
                  .join(Dispute, Dispute.milestone_id == Milestone.id)
                  .where(Dispute.opened_at >= since, Dispute.reason.not_in(STAFF_DISPUTE_REASONS))
                  .group_by(Contract.brand_id), Contract.brand_id), ("disputes", "disputes_lost"))
    has_bids = exists().where(Bid.tender_id == Tender.id)
    yield (scoped(select(Tender.brand_id, func.count(),
                         func.sum(case((Tender.stored_status == TenderStatus.CANCELLED, 1), else_=0)))
                  .where(Tender.created_at >= since, has_bids).group_by(Tender.brand_id), Tender.brand_id),
           ("tenders_with_bids", "cancelled_after_bids"))
    yield (scoped(_provider_reviews(now).with_only_columns(Review.subject_id, func.count(), func.sum(_REVIEW_SCORE))
                  .group_by(Review.subject_id), Review.subject_id), ("reviews", "review_score_sum"))


_REVIEW_SCORE = (Review.quality + Review.communication + Review.timeliness + Review.professionalism) / 4.0


def _provider_reviews(now: datetime):
    return select(Review).where(Review.author_role == "provider", published(now))


def review_mean(now: datetime) -> float:
    value = db.session.scalar(_provider_reviews(now).with_only_columns(func.avg(_REVIEW_SCORE)))
    return float(value) if value is not None else DEFAULT_REVIEW_MEAN


def mean_of(inputs: dict[int, BrandInputs]) -> float:
    """review_mean from a gather over every brand (saves a second pass over the reviews): the same number,
    since review scores are quarters, whose sums are exact."""
    count = sum(i.reviews for i in inputs.values())
    return sum(i.review_score_sum for i in inputs.values()) / count if count else DEFAULT_REVIEW_MEAN


def gather(now: datetime, brand_ids: list[int] | None = None) -> dict[int, BrandInputs]:
    inputs: dict[int, BrandInputs] = defaultdict(BrandInputs)
    for stmt, names in _aggregates(now - WINDOW, now, brand_ids):
        for brand_id, *values in db.session.execute(stmt):
            row = inputs[brand_id]
            for name, value in zip(names, values, strict=True):
                setattr(row, name, type(getattr(row, name))(value or 0))
    return inputs


def recompute(now: datetime, brand_ids: list[int] | None = None) -> int:
    """Score the given brands (every brand when None) and write the scores whose inputs or value changed;
    how many were written. Brands with no data at all keep "new"."""
    inputs = gather(now, brand_ids)
    mean = mean_of(inputs) if brand_ids is None else review_mean(now)
    stmt = select(BrandProfile.user_id, BrandProfile.brand_score, BrandProfile.brand_score_inputs)
    current = db.session.execute(stmt.where(BrandProfile.user_id.in_(brand_ids)) if brand_ids is not None else stmt)
    changes = []
    for brand_id, old_score, old_inputs in current:
        data = inputs.get(brand_id, BrandInputs())
        stored = {**asdict(data), "review_mean": round(mean, 4)}
        new = score(data, mean).score
        new_score = None if new is None else Decimal(str(new))
        if old_score == new_score and old_inputs == stored:
            continue
        changes.append({"user_id": brand_id, "brand_score": new_score, "brand_score_inputs": stored,
                        "brand_scored_at": now})
    if changes:
        db.session.execute(update(BrandProfile), changes)  # by primary key, as one executemany
    return len(changes)
