"""Provider star ratings: four explainable dimensions, one score, 3–6 stars. The formula, weights and
thresholds live here and nowhere else.

Every dimension is a sub-score from 0 to 100, computed only from data the platform holds:

1. Service reviews (weight 40 %): a Bayesian average of review scores. Each review's score is the
   mean of its four 1–5 ratings. Its weight is recency × size:
     recency = 0.5 ** (age_days / 180)                 (half-life: 180 days — old reviews fade)
     size    = 1 + log10(1 + contract_amount / ¥1,000)   (a ¥500,000 contract counts ~3.7× a ¥500 one)
   average = (PRIOR_WEIGHT × platform_mean + Σ weight × score) / (PRIOR_WEIGHT + Σ weight), with
   PRIOR_WEIGHT = 5 and platform_mean the mean of all visible provider reviews (4.0 before any exist),
   so one 5-star review from a tiny contract cannot beat many good reviews from large ones.
   Sub-score = (average − 1) / 4 × 100.
2. Operating capability (30 %): on-time delivery (first delivery by the milestone's due date) 30,
   completion (completed ÷ completed + cancelled contracts) 25, change-request rounds per settled
   milestone (0 rounds → full marks, 3 or more → none) 20, disputes lost (decided with the provider
   getting less than half; each 10 % of settled milestones lost costs half the marks) 25.
   Rates with nothing to measure count as full marks. KPI results are not recorded yet, so they do
   not enter the score (they will, as a fifth part, once contracts record KPI actuals).
3. Brand-development capability (15 %): distinct brands served in the last 12 months (10 or more →
   full marks) 40, repeat-brand rate (brands with 2+ contracts ÷ brands) 30, the size tier of brands
   served (small 25, growing 50, large 75, flagship 100, averaged) 30.
4. Growth potential (15 %): released volume and new brands in the last 6 months against the 6
   before. Each growth ratio g = (recent + k) ÷ (previous + k) (k = ¥10,000 for volume, 1 brand)
   maps to 50 + 25 × log2(g), clipped to 0–100; the two are averaged. Flat = 50, doubling = 75.

score = 0.40 × reviews + 0.30 × operating + 0.15 × brand development + 0.15 × growth.
Stars: ≥ 85 → 6, ≥ 75 → 5, ≥ 65 → 4, otherwise 3 — and no stars at all ("new provider") below 3
completed contracts: never a made-up number.
"""
import math
from dataclasses import asdict, dataclass, field

HALF_LIFE_DAYS = 180
PRIOR_WEIGHT = 5.0
DEFAULT_PLATFORM_MEAN = 4.0
SIZE_UNIT = 1000_00  # ¥1,000 in fen
WEIGHTS = {"service_reviews": 0.40, "operating": 0.30, "brand_development": 0.15, "growth": 0.15}
STAR_THRESHOLDS = ((85, 6), (75, 5), (65, 4))
MIN_COMPLETED_CONTRACTS = 3
TIER_VALUES = {"small": 25, "growing": 50, "large": 75, "flagship": 100}
VOLUME_SMOOTHING = 10000_00  # ¥10,000
BRANDS_FOR_FULL_MARKS = 10


def review_weight(age_days: float, contract_amount: int) -> float:
    """recency × size, as documented above (the SQL in ratings_data mirrors it exactly)."""
    return 0.5 ** (max(age_days, 0) / HALF_LIFE_DAYS) * (1 + math.log10(1 + contract_amount / SIZE_UNIT))


@dataclass
class RatingInputs:
    """Everything the formula reads about one provider (aggregated in SQL by ratings_data)."""

    review_count: int = 0
    review_weight: float = 0.0  # Σ weight
    review_weighted_score: float = 0.0  # Σ weight × review mean (1–5)
    review_score_sum: float = 0.0  # Σ review mean, unweighted (for the platform mean)
    settled_milestones: int = 0
    on_time_milestones: int = 0
    change_requests: int = 0
    disputes_lost: int = 0
    completed_contracts: int = 0
    cancelled_contracts: int = 0
    brands_12m: int = 0
    repeat_brands_12m: int = 0
    tier_total_12m: int = 0  # Σ tier value over the distinct brands
    volume_recent: int = 0
    volume_previous: int = 0
    new_brands_recent: int = 0
    new_brands_previous: int = 0


@dataclass
class Rating:
    score: float
    stars: int | None
    dimensions: dict[str, float]
    parts: dict[str, dict[str, float]] = field(default_factory=dict)  # what fed each dimension

    def as_dict(self) -> dict:
        return asdict(self)


def _clip(value: float) -> float:
    return max(0.0, min(100.0, value))


def service_reviews(i: RatingInputs, platform_mean: float) -> tuple[float, dict]:
    average = (PRIOR_WEIGHT * platform_mean + i.review_weighted_score) / (PRIOR_WEIGHT + i.review_weight)
    return _clip((average - 1) / 4 * 100), {"bayesian_average": round(average, 3), "reviews": i.review_count,
                                            "weight": round(i.review_weight, 3), "platform_mean": platform_mean}


def operating(i: RatingInputs) -> tuple[float, dict]:
    settled = i.settled_milestones
    on_time = i.on_time_milestones / settled if settled else 1.0
    ended = i.completed_contracts + i.cancelled_contracts
    completion = i.completed_contracts / ended if ended else 1.0
    rounds = i.change_requests / settled if settled else 0.0
    lost = i.disputes_lost / settled if settled else 0.0
    parts = {"on_time": on_time * 30, "completion": completion * 25, "change_rounds": max(0.0, 1 - rounds / 3) * 20,
             "disputes_lost": max(0.0, 1 - lost * 5) * 25}
    detail = {**{k: round(v, 2) for k, v in parts.items()}, "on_time_rate": round(on_time, 3),
              "change_rounds_per_milestone": round(rounds, 3), "disputes_lost": i.disputes_lost}
    return _clip(sum(parts.values())), detail


def brand_development(i: RatingInputs) -> tuple[float, dict]:
    breadth = min(1.0, i.brands_12m / BRANDS_FOR_FULL_MARKS) * 40
    repeat = (i.repeat_brands_12m / i.brands_12m if i.brands_12m else 0.0) * 30
    tier = (i.tier_total_12m / i.brands_12m / 100 if i.brands_12m else 0.0) * 30
    return _clip(breadth + repeat + tier), {"brands_12m": i.brands_12m, "breadth": round(breadth, 2),
                                            "repeat": round(repeat, 2), "tier": round(tier, 2)}


def _growth_mark(recent: float, previous: float, smoothing: float) -> float:
    return _clip(50 + 25 * math.log2((recent + smoothing) / (previous + smoothing)))


def growth(i: RatingInputs) -> tuple[float, dict]:
    volume = _growth_mark(i.volume_recent, i.volume_previous, VOLUME_SMOOTHING)
    brands = _growth_mark(i.new_brands_recent, i.new_brands_previous, 1)
    return (volume + brands) / 2, {"volume": round(volume, 2), "new_brands": round(brands, 2)}


def stars_for(score: float, completed_contracts: int) -> int | None:
    if completed_contracts < MIN_COMPLETED_CONTRACTS:
        return None
    return next((stars for threshold, stars in STAR_THRESHOLDS if score >= threshold), 3)


def explain(stored_inputs: dict) -> Rating:
    """Recompute a stored rating from the inputs kept with it (for its breakdown on the pages)."""
    fields = {name: stored_inputs[name] for name in RatingInputs.__dataclass_fields__ if name in stored_inputs}
    return rate(RatingInputs(**fields), stored_inputs.get("platform_mean", DEFAULT_PLATFORM_MEAN))


def rate(i: RatingInputs, platform_mean: float = DEFAULT_PLATFORM_MEAN) -> Rating:
    dims, parts = {}, {}
    for name, (value, detail) in (("service_reviews", service_reviews(i, platform_mean)), ("operating", operating(i)),
                                  ("brand_development", brand_development(i)), ("growth", growth(i))):
        dims[name], parts[name] = round(value, 2), detail
    score = round(sum(WEIGHTS[name] * value for name, value in dims.items()), 2)
    return Rating(score=score, stars=stars_for(score, i.completed_contracts), dimensions=dims, parts=parts)
