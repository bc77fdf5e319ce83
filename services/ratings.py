"""Provider star ratings: four explainable dimensions, one score, 3–6 stars. The formula, weights and
thresholds live here and nowhere else.

Every dimension is a sub-score from 0 to 100, computed only from data the platform holds:

1. Service reviews (weight 40 %): a Bayesian average of review scores. Each review's score is the
   mean of its four 1–5 ratings. Its weight is recency × size:
     recency = 0.5 ** (age_days / 180)                 (half-life: 180 days — old reviews fade)
     size    = 1 + log10(1 + contract_amount / ¥1,000)   (¥500,000 → 3.70, ¥500 → 1.18: about 3×)
   average = (PRIOR_WEIGHT × platform_mean + Σ weight × score) / (PRIOR_WEIGHT + Σ weight), with
   PRIOR_WEIGHT = 5 and platform_mean the mean of all visible provider reviews (4.0 before any exist),
   so one 5-star review from a tiny contract cannot beat many good reviews from large ones.
   Sub-score = (average − 1) / 4 × 100.
2. Operating capability (30 %): on-time delivery (first delivery by the milestone's due date) 25,
   completion (funded work finished: settled milestones ÷ settled + funded ones past their due date
   and still undelivered; a contract the brand dropped before funding anything is not the provider's
   doing and counts for nothing) 20, change-request rounds per settled milestone (0 rounds → full
   marks, 3 or more → none) 15, disputes lost (decided with the provider
   getting less than half; each 10 % of settled milestones lost costs half the marks) 20, KPI targets
   met (results the brands recorded that met the tender's target ÷ results recorded) 20.
   Rates with nothing to measure count as full marks.
3. Brand-development capability (15 %): distinct brands served (a contract signed with them, not
   cancelled) in the last 12 months (10 or more → full marks) 40, repeat-brand rate (brands with 2+
   contracts ÷ brands) 30, the size tier of brands served (small 25, growing 50, large 75, flagship
   100, averaged) 30.
4. Growth potential (15 %): released volume and new brands in the last 6 months against the 6
   before. Each growth ratio g = (recent + k) ÷ (previous + k) (k = ¥10,000 for volume, 1 brand)
   maps to 50 + 25 × log2(g), clipped to 0–100; the two are averaged. Flat = 50, doubling = 75.

score = 0.40 × reviews + 0.30 × operating + 0.15 × brand development + 0.15 × growth.
Stars: ≥ 85 → 6, ≥ 75 → 5, ≥ 65 → 4, otherwise 3 — and no stars at all ("new provider") below 3
completed contracts: never a made-up number.

The formula exists twice, both written from the constants below: `rate` (Python: one provider, and
the breakdown shown on its page) and `sql_rate` (SQL: the nightly recompute of every provider in the
database). They perform the same double-precision operations in the same order and round alike, so
they give the same numbers (tests/test_rating_formula.py holds them to it).
"""
import math
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import Float, Integer, case, cast, func, literal, select

HALF_LIFE_DAYS = 180
PRIOR_WEIGHT = 5.0
DEFAULT_PLATFORM_MEAN = 4.0
SIZE_UNIT = 1000_00  # ¥1,000 in fen
WEIGHTS = {"service_reviews": 0.40, "operating": 0.30, "brand_development": 0.15, "growth": 0.15}
STAR_THRESHOLDS = ((85, 6), (75, 5), (65, 4))
BASE_STARS = 3  # a rated provider below every threshold
TOP_STARS = max(level for _, level in STAR_THRESHOLDS)
MIN_COMPLETED_CONTRACTS = 3
# The points each part of a dimension gives at most (each dimension's parts add up to 100).
OPERATING_POINTS = {"on_time": 25, "completion": 20, "change_rounds": 15, "disputes_lost": 20, "kpi_met": 20}
BRAND_POINTS = {"breadth": 40, "repeat": 30, "tier": 30}
RECENT_PERIOD = timedelta(days=182)  # growth: "the last 6 months", against the 6 before
BRANDS_PERIOD = timedelta(days=365)  # brand development: "the last 12 months" (and growth's 6 before the last 6)
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
    kpi_results: int = 0  # KPI results the brands recorded
    kpi_met: int = 0  # of which met the target
    completed_contracts: int = 0
    overdue_milestones: int = 0  # funded, past their due date, not delivered yet
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
    owed = settled + i.overdue_milestones
    completion = settled / owed if owed else 1.0
    rounds = i.change_requests / settled if settled else 0.0
    lost = i.disputes_lost / settled if settled else 0.0
    kpi = i.kpi_met / i.kpi_results if i.kpi_results else 1.0
    points = OPERATING_POINTS
    parts = {"on_time": on_time * points["on_time"], "completion": completion * points["completion"],
             "change_rounds": max(0.0, 1 - rounds / 3) * points["change_rounds"],
             "disputes_lost": max(0.0, 1 - lost * 5) * points["disputes_lost"], "kpi_met": kpi * points["kpi_met"]}
    detail = {**{k: round(v, 2) for k, v in parts.items()}, "on_time_rate": round(on_time, 3),
              "change_rounds_per_milestone": round(rounds, 3), "kpi_met_rate": round(kpi, 3),
              "kpi_results": i.kpi_results}
    return _clip(sum(parts.values())), detail


def brand_development(i: RatingInputs) -> tuple[float, dict]:
    breadth = min(1.0, i.brands_12m / BRANDS_FOR_FULL_MARKS) * BRAND_POINTS["breadth"]
    repeat = (i.repeat_brands_12m / i.brands_12m if i.brands_12m else 0.0) * BRAND_POINTS["repeat"]
    tier = (i.tier_total_12m / i.brands_12m / 100 if i.brands_12m else 0.0) * BRAND_POINTS["tier"]
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
    return next((stars for threshold, stars in STAR_THRESHOLDS if score >= threshold), BASE_STARS)


def explain(stored_inputs: dict) -> Rating:
    """Recompute a stored rating from the inputs kept with it (for its breakdown on the pages)."""
    defaults = RatingInputs()
    fields = {name: type(getattr(defaults, name))(stored_inputs[name])  # JSON may spell 0.0 as 0
              for name in RatingInputs.__dataclass_fields__ if name in stored_inputs}
    return rate(RatingInputs(**fields), stored_inputs.get("platform_mean", DEFAULT_PLATFORM_MEAN))


def rate(i: RatingInputs, platform_mean: float = DEFAULT_PLATFORM_MEAN) -> Rating:
    dims, parts = {}, {}
    for name, (value, detail) in (("service_reviews", service_reviews(i, platform_mean)), ("operating", operating(i)),
                                  ("brand_development", brand_development(i)), ("growth", growth(i))):
        dims[name], parts[name] = round(value, 2), detail
    score = round(sum(WEIGHTS[name] * value for name, value in dims.items()), 2)
    return Rating(score=score, stars=stars_for(score, i.completed_contracts), dimensions=dims, parts=parts)


# --- The same formula in SQL ---------------------------------------------------------------------------------
# Every step mirrors the Python above: integers become doubles where Python divides them, the operations
# come in the same order, and rounding is Python's round(x, 2) (to the nearest, ties to even, decided on
# the exact binary value), so a nightly rating never differs from the one `rate` gives for its inputs.

def _float(value):
    return cast(value, Float)


def _greatest(dialect: str, a, b):
    return func.greatest(a, b) if dialect == "postgresql" else func.max(a, b)


def _least(dialect: str, a, b):
    return func.least(a, b) if dialect == "postgresql" else func.min(a, b)


def _floor(dialect: str, value):
    """floor() of a value ≥ 0 (SQLite may lack floor(); a cast to integer truncates)."""
    return func.floor(value) if dialect == "postgresql" else cast(value, Integer)


def _clip_sql(dialect: str, value):
    return _greatest(dialect, literal(0.0), _least(dialect, literal(100.0), value))


def _log2_sql(value):
    """log2 through log10 (which SQLite is given too). It may differ from math.log2 in the last bit, which
    rounding to 0.01 cannot see: exact for the powers of two that stay inside 0–100, clipped beyond."""
    return func.log10(value) / literal(math.log10(2))


def _sign(dialect: str, value):
    """-1, 0 or 1 (SQLite builds before 3.35 lack sign(); two comparisons say the same)."""
    return func.sign(value) if dialect == "postgresql" else cast(value > 0, Integer) - cast(value < 0, Integer)


def _round_sql(dialect: str, x, digits: int = 2):
    """Python's round(x, digits) for a double x ≥ 0. With j = ⌊x·10^d⌋ the result is j or j + 1 (in units
    of 10^-d), whichever is nearer to x, the even one on an exact tie. The comparison of x with the
    midpoint k = 10j + 5 (in units of 10^-(d+1)) is exact: x is split into two halves of 26 bits
    (Veltkamp), each half times 10^(d+1) is exact, and so is the high part's difference with k. The sign
    of that difference plus the low part is then exact too (a correctly rounded sum has the sign of the
    exact one, and is zero only when it is), so one sign — evaluated once, by a simple CASE — decides."""
    scale, tenth = 10 ** digits, 10 ** (digits + 1)
    j = _floor(dialect, x * literal(float(scale)))
    k = j * 10 + 5
    c = x * literal(134217729.0)  # 2^27 + 1
    high = c - (c - x)
    low = x - high
    side = _sign(dialect, (high * literal(float(tenth)) - k) + low * literal(float(tenth)))
    to_even = j + (j - _floor(dialect, j / literal(2.0)) * 2)  # on a tie: j if even, else j + 1
    units = case({1: j + 1, -1: j}, value=side, else_=to_even)
    return units / literal(float(scale))


def sql_rate(inputs, platform_mean: float, dialect: str):
    """SELECT every column of `inputs` (a FROM clause with the RatingInputs columns) plus
    service_reviews, operating, brand_development, growth, score and stars, as `rate` computes them
    (`inputs` has one row per provider_id). Each stage is a subquery of its own, so no expression is
    evaluated twice per row."""
    i, f = inputs.c, _float

    def settled_rate(count, otherwise: float):
        return case((i.settled_milestones != 0, f(count) / f(i.settled_milestones)), else_=literal(otherwise))

    average = ((literal(PRIOR_WEIGHT * platform_mean) + i.review_weighted_score)
               / (literal(PRIOR_WEIGHT) + i.review_weight))
    owed = i.settled_milestones + i.overdue_milestones
    completion = case((owed != 0, f(i.settled_milestones) / f(owed)), else_=literal(1.0))
    kpi = case((i.kpi_results != 0, f(i.kpi_met) / f(i.kpi_results)), else_=literal(1.0))
    points = OPERATING_POINTS
    operating_parts = (settled_rate(i.on_time_milestones, 1.0) * points["on_time"], completion * points["completion"],
                       _greatest(dialect, literal(0.0), 1 - settled_rate(i.change_requests, 0.0) / 3.0)
                       * points["change_rounds"],
                       _greatest(dialect, literal(0.0), 1 - settled_rate(i.disputes_lost, 0.0) * 5)
                       * points["disputes_lost"],
                       kpi * points["kpi_met"])
    brands = f(i.brands_12m)
    breadth = _least(dialect, literal(1.0), brands / BRANDS_FOR_FULL_MARKS) * BRAND_POINTS["breadth"]
    repeat = case((i.brands_12m != 0, f(i.repeat_brands_12m) / brands), else_=literal(0.0)) * BRAND_POINTS["repeat"]
    tier = case((i.brands_12m != 0, f(i.tier_total_12m) / brands / 100), else_=literal(0.0)) * BRAND_POINTS["tier"]

    def growth_mark(recent, previous, smoothing: int):
        return _clip_sql(dialect, 50 + 25 * _log2_sql(f(recent + smoothing) / f(previous + smoothing)))

    raw = {"service_reviews": _clip_sql(dialect, (average - 1) / 4.0 * 100),
           "operating": _clip_sql(dialect, operating_parts[0] + operating_parts[1] + operating_parts[2]
                                  + operating_parts[3] + operating_parts[4]),
           "brand_development": _clip_sql(dialect, breadth + repeat + tier),
           "growth": (growth_mark(i.volume_recent, i.volume_previous, VOLUME_SMOOTHING)
                      + growth_mark(i.new_brands_recent, i.new_brands_previous, 1)) / 2.0}

    def stage(source, columns, name: str):
        # PostgreSQL never merges a subquery with OFFSET into the query around it, so each stage's
        # expressions are computed once per row, and rows stream through (no CTE writing them out and back).
        return select(*source.c, *columns).offset(0).subquery(name)

    unrounded = stage(inputs, [(i.completed_contracts < MIN_COMPLETED_CONTRACTS).label("new_provider"),
                               *(value.label(f"raw_{name}") for name, value in raw.items())], "rating_raw")
    rounded = stage(unrounded, [_round_sql(dialect, unrounded.c[f"raw_{name}"]).label(name) for name in WEIGHTS],
                    "rating_dims")
    score = rounded.c[next(iter(WEIGHTS))] * WEIGHTS[next(iter(WEIGHTS))]
    for name in list(WEIGHTS)[1:]:
        score = score + rounded.c[name] * WEIGHTS[name]
    scored = stage(rounded, [_round_sql(dialect, score).label("score")], "rating_score")
    stars = case((scored.c.new_provider, None),
                 *((scored.c.score >= threshold, literal(level)) for threshold, level in STAR_THRESHOLDS),
                 else_=literal(BASE_STARS))
    return select(*(scored.c[column.name] for column in i), *(scored.c[name] for name in WEIGHTS), scored.c.score,
                  stars.label("stars"))
