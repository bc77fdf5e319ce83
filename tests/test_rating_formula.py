"""The rating formula on hand-computed cases, and its SQL twin against it."""
import math
import random

import pytest
from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, Table, insert, select

from extensions import db
from services.ratings import (
    RatingInputs,
    _round_sql,
    brand_development,
    growth,
    operating,
    rate,
    review_weight,
    sql_rate,
    stars_for,
)


def reviews(*items) -> dict:
    """items: (mean score, age in days, contract amount in fen) → the aggregate inputs."""
    weights = [review_weight(age, amount) for _, age, amount in items]
    return {"review_count": len(items), "review_weight": sum(weights),
            "review_weighted_score": sum(w * score for w, (score, _, _) in zip(weights, items, strict=True))}


def test_review_weight_by_hand():
    assert review_weight(0, 0) == 1.0
    assert review_weight(180, 0) == pytest.approx(0.5)  # one half-life
    assert review_weight(0, 999000_00) == pytest.approx(1 + math.log10(1000))  # ¥999,000 → 4.0
    assert review_weight(360, 9000_00) == pytest.approx(0.25 * 2)  # two half-lives × (1 + log10 10)


def test_no_reviews_scores_the_platform_mean():
    result = rate(RatingInputs(), platform_mean=4.0)
    assert result.dimensions["service_reviews"] == 75.0  # (4 − 1) / 4
    assert result.stars is None  # fewer than 3 completed contracts: a new provider


def test_one_tiny_five_star_review_does_not_beat_many_good_large_ones():
    one_tiny = rate(RatingInputs(**reviews((5.0, 1, 500_00))), platform_mean=4.0)
    many_large = rate(RatingInputs(**reviews(*[(4.6, 30, 300000_00)] * 20)), platform_mean=4.0)
    # by hand: weight = 0.5^(1/180) × (1 + log10 1.5) = 0.99616 × 1.17609 = 1.17158;
    # average = (5 × 4.0 + 1.17158 × 5) / (5 + 1.17158) = 4.18983 → (4.18983 − 1) / 4 = 79.75
    assert one_tiny.dimensions["service_reviews"] == pytest.approx(79.75, abs=0.01)
    assert many_large.dimensions["service_reviews"] > one_tiny.dimensions["service_reviews"] + 5


def test_old_reviews_fade():
    recent_bad_old_good = rate(RatingInputs(**reviews((2.0, 10, 100000_00), (5.0, 900, 100000_00))))
    recent_good_old_bad = rate(RatingInputs(**reviews((5.0, 10, 100000_00), (2.0, 900, 100000_00))))
    assert recent_good_old_bad.dimensions["service_reviews"] > recent_bad_old_good.dimensions["service_reviews"] + 10


def test_operating_by_hand():
    score, _ = operating(RatingInputs(settled_milestones=10, on_time_milestones=8, change_requests=3,
                                      disputes_lost=1, completed_contracts=3, overdue_milestones=10,
                                      kpi_results=4, kpi_met=3))
    # on time 0.8×25 = 20; completion 10 settled of 20 owed → 0.5×20 = 10; rounds 0.3 → (1 − 0.1)×15 = 13.5;
    # lost 10 % → 0.5×20 = 10; KPI targets met 3 of 4 → 0.75×20 = 15
    assert score == pytest.approx(68.5)
    assert operating(RatingInputs())[0] == 100.0  # nothing to measure yet counts as full marks
    missed = operating(RatingInputs(settled_milestones=4, on_time_milestones=4, kpi_results=2, kpi_met=0))[0]
    assert missed == pytest.approx(80.0)  # every recorded KPI result missed its target: that part is lost


def test_brand_development_and_growth_by_hand():
    score, _ = brand_development(RatingInputs(brands_12m=5, repeat_brands_12m=2, tier_total_12m=300))
    assert score == pytest.approx(20 + 12 + 18)  # 5/10×40, 2/5×30, (300/5)/100×30
    flat, _ = growth(RatingInputs(volume_recent=50000_00, volume_previous=50000_00))
    assert flat == 50.0
    doubled, _ = growth(RatingInputs(volume_recent=2 * 60000_00 - 10000_00, volume_previous=50000_00,
                                     new_brands_recent=3, new_brands_previous=1))
    assert doubled == pytest.approx((75 + 75) / 2)  # (110k + 10k)/(50k + 10k) = 2; (3+1)/(1+1) = 2


@pytest.mark.parametrize("score, completed, stars", [
    (90, 3, 6), (85, 5, 6), (84.99, 5, 5), (75, 3, 5), (65, 3, 4), (64.9, 10, 3), (10, 3, 3), (99, 2, None)])
def test_star_thresholds(score, completed, stars):
    assert stars_for(score, completed) == stars


def varied_inputs(count: int, seed: int) -> list[RatingInputs]:
    """Hand-picked corners (nothing at all, exact ties such as operating 79.375) and random providers."""
    rng = random.Random(seed)
    corners = [RatingInputs(),
               RatingInputs(settled_milestones=8, on_time_milestones=7, completed_contracts=1, overdue_milestones=56),
               RatingInputs(settled_milestones=8, on_time_milestones=1, change_requests=3, disputes_lost=1,
                            completed_contracts=3, brands_12m=8, repeat_brands_12m=3, tier_total_12m=475),
               RatingInputs(completed_contracts=3, volume_recent=50000_00, volume_previous=50000_00,
                            new_brands_recent=3, new_brands_previous=1),
               RatingInputs(completed_contracts=40, brands_12m=20, repeat_brands_12m=20, tier_total_12m=2000,
                            volume_recent=10**12, settled_milestones=1, on_time_milestones=1)]

    def provider() -> RatingInputs:
        reviews_in = rng.choice((0, 1, 2, rng.randrange(3, 400)))
        weights = [review_weight(rng.uniform(0, 1500), rng.choice((0, rng.randrange(0, 10**9))))
                   for _ in range(min(reviews_in, 30))]
        means = [rng.randrange(4, 21) / 4 for _ in weights]
        settled = rng.choice((0, rng.randrange(1, 9), rng.randrange(1, 300)))
        brands = rng.choice((0, rng.randrange(1, 8), rng.randrange(1, 40)))
        return RatingInputs(
            review_count=len(weights), review_weight=sum(weights),
            review_weighted_score=sum(w * m for w, m in zip(weights, means, strict=True)), review_score_sum=sum(means),
            settled_milestones=settled, on_time_milestones=rng.randint(0, settled),
            change_requests=rng.choice((0, rng.randrange(0, 4 * settled + 1))),
            disputes_lost=rng.choice((0, rng.randint(0, settled))),
            kpi_results=(kpi_results := rng.choice((0, rng.randrange(1, 3 * settled + 2)))),
            kpi_met=rng.randint(0, kpi_results),
            completed_contracts=rng.randrange(0, 60), overdue_milestones=rng.choice((0, rng.randrange(0, 9))),
            brands_12m=brands, repeat_brands_12m=rng.randint(0, brands),
            tier_total_12m=sum(rng.choice((25, 50, 75, 100)) for _ in range(brands)),
            volume_recent=rng.choice((0, rng.randrange(0, 10**9), 10000_00 * rng.randrange(0, 9))),
            volume_previous=rng.choice((0, rng.randrange(0, 10**9), 10000_00 * rng.randrange(0, 9))),
            new_brands_recent=rng.randrange(0, 12), new_brands_previous=rng.randrange(0, 12))

    return corners + [provider() for _ in range(count - len(corners))]


@pytest.mark.parametrize("platform_mean", [4.0, 3.6181818181818184, 4.9])
def test_the_sql_formula_gives_what_rate_gives(app, platform_mean):
    """The nightly recompute runs ratings.sql_rate in the database; for any inputs it must give exactly
    what ratings.rate gives (the same doubles, rounded the same way, ties included)."""

    cases = varied_inputs(1500, seed=int(platform_mean * 1000))
    names = list(RatingInputs.__dataclass_fields__)
    integer = {name for name in names if isinstance(getattr(RatingInputs(), name), int)}
    table = Table("formula_cases", MetaData(), Column("provider_id", Integer, primary_key=True),
                  *(Column(name, BigInteger if name in integer else Float) for name in names), prefixes=["TEMPORARY"])
    with app.app_context():
        table.create(db.session.connection())
        db.session.execute(insert(table), [{"provider_id": n, **vars(case)} for n, case in enumerate(cases)])
        rows = db.session.execute(sql_rate(table, platform_mean, db.session.get_bind().dialect.name)).mappings()
        got = {row["provider_id"]: dict(row) for row in rows}
        db.session.rollback()
        table.drop(db.session.connection(), checkfirst=True)  # SQLite keeps a temporary table past a rollback
        db.session.commit()
    assert len(got) == len(cases)
    for n, case in enumerate(cases):
        want = rate(case, platform_mean)
        row = got[n]
        assert (row["score"], row["stars"], *(row[name] for name in want.dimensions)) \
            == (want.score, want.stars, *want.dimensions.values()), case


def test_the_sql_rounding_is_pythons_round(app):
    """ratings._round_sql decides each half-way case by the sign of one exact difference: it must give
    round(x, 2) for decimal near-ties (x.xx5 and the doubles either side), exact binary ties (k/8, round
    half to even) and arbitrary doubles."""

    rng = random.Random(11)
    values = [k / 1000 for k in range(5, 100000, 10)]
    values += [math.nextafter(x, up) for x in values[::7] for up in (0.0, 200.0)]
    values += [k / 8 for k in range(801)] + [rng.uniform(0, 100) for _ in range(3000)]
    table = Table("rounding_cases", MetaData(), Column("n", Integer, primary_key=True), Column("x", Float),
                  prefixes=["TEMPORARY"])
    with app.app_context():
        dialect = db.session.get_bind().dialect.name
        table.create(db.session.connection())
        db.session.execute(insert(table), [{"n": n, "x": x} for n, x in enumerate(values)])
        got = dict(db.session.execute(select(table.c.n, _round_sql(dialect, table.c.x))).all())
        db.session.rollback()
        table.drop(db.session.connection(), checkfirst=True)
        db.session.commit()
    wrong = [(x, got[n], round(x, 2)) for n, x in enumerate(values) if got[n] != round(x, 2)]
    assert not wrong, wrong[:5]
