"""The inputs of services.ratings, aggregated in SQL for many providers at once (GROUP BY
provider), and the write of the computed ratings. No Python loop ever walks reviews or milestones."""
import json
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select, update

from extensions import db
from models import (
    BrandProfile,
    Contract,
    Dispute,
    Milestone,
    MilestoneDelivery,
    MilestoneEvent,
    ProviderProfile,
    ProviderRating,
    Review,
)
from services import ratings
from services.reviews import WINDOW


def _age_days(column, now: datetime):
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(now.replace(tzinfo=None)) - func.julianday(column)
    return func.extract("epoch", literal(now) - column) / 86400.0


def _published_reviews(now: datetime):
    """Brands' reviews that are public — the provider has reviewed too, or the window closed — with
    their contract. (A hash join against the contracts the provider reviewed: no per-row lookup.)"""
    answered = select(Review.contract_id.label("contract_id")).where(Review.author_role == "provider").distinct() \
        .subquery()
    return (select(Review, Contract).join(Contract, Contract.id == Review.contract_id)
            .outerjoin(answered, answered.c.contract_id == Review.contract_id)
            .where(Review.author_role == "brand", Review.hidden_at.is_(None),
                   or_(answered.c.contract_id.is_not(None),
                       and_(Contract.completed_at.is_not(None), Contract.completed_at <= now - WINDOW))))


SCORE = (Review.quality + Review.communication + Review.timeliness + Review.professionalism) / 4.0


def mean_of(inputs: dict[int, ratings.RatingInputs]) -> float:
    """The platform mean from a gather over every provider (saves a second pass over the reviews)."""
    count = sum(i.review_count for i in inputs.values())
    return sum(i.review_score_sum for i in inputs.values()) / count if count else ratings.DEFAULT_PLATFORM_MEAN


def platform_mean(now: datetime) -> float:
    value = db.session.scalar(_published_reviews(now).with_only_columns(func.avg(SCORE)))
    return float(value) if value is not None else ratings.DEFAULT_PLATFORM_MEAN


def gather(now: datetime, provider_ids: list[int] | None = None) -> dict[int, ratings.RatingInputs]:
    """RatingInputs for the given providers (all providers when None), from a fixed number of queries."""
    inputs: dict[int, ratings.RatingInputs] = defaultdict(ratings.RatingInputs)

    def scoped(stmt, column):
        return stmt.where(column.in_(provider_ids)) if provider_ids is not None else stmt

    def fill(stmt, *names):
        for provider_id, *values in db.session.execute(stmt):
            row = inputs[provider_id]
            for name, value in zip(names, values, strict=True):
                setattr(row, name, type(getattr(row, name))(value or 0))

    weight = (func.power(0.5, _age_days(Review.created_at, now) / ratings.HALF_LIFE_DAYS)
              * (1 + func.log10(1 + Contract.amount / float(ratings.SIZE_UNIT))))
    fill(scoped(_published_reviews(now).with_only_columns(Contract.provider_id, func.count(Review.id),
                                                          func.sum(weight), func.sum(weight * SCORE), func.sum(SCORE))
                .group_by(Contract.provider_id), Contract.provider_id),
         "review_count", "review_weight", "review_weighted_score", "review_score_sum")

    first_delivery = (select(MilestoneDelivery.milestone_id, func.min(MilestoneDelivery.created_at).label("at"))
                      .group_by(MilestoneDelivery.milestone_id).subquery())
    settled = Milestone.status.in_(("released", "resolved"))
    fill(scoped(select(Contract.provider_id, func.count(Milestone.id),
                       func.sum(case((first_delivery.c.at <= Milestone.due_at, 1), else_=0)))
                .join(Milestone, Milestone.contract_id == Contract.id)
                .outerjoin(first_delivery, first_delivery.c.milestone_id == Milestone.id)
                .where(settled).group_by(Contract.provider_id), Contract.provider_id),
         "settled_milestones", "on_time_milestones")
    fill(scoped(select(Contract.provider_id, func.count(MilestoneEvent.id))
                .join(Milestone, Milestone.contract_id == Contract.id)
                .join(MilestoneEvent, MilestoneEvent.milestone_id == Milestone.id)
                .where(MilestoneEvent.kind == "changes_requested").group_by(Contract.provider_id),
                Contract.provider_id), "change_requests")
    fill(scoped(select(Contract.provider_id, func.count(Dispute.id))
                .join(Milestone, Milestone.contract_id == Contract.id)
                .join(Dispute, Dispute.milestone_id == Milestone.id)
                .where(Dispute.status == "resolved", Dispute.provider_amount * 2 < Milestone.amount)
                .group_by(Contract.provider_id), Contract.provider_id), "disputes_lost")
    fill(scoped(select(Contract.provider_id, func.sum(case((Contract.status == "completed", 1), else_=0)),
                       func.sum(case((Contract.status == "cancelled", 1), else_=0)))
                .group_by(Contract.provider_id), Contract.provider_id), "completed_contracts", "cancelled_contracts")

    # Brands served in the last 12 months: how many, how many came back, and their size tiers.
    pairs = scoped(select(Contract.provider_id.label("provider_id"), Contract.brand_id.label("brand_id"),
                          func.count().label("contracts"), func.min(Contract.created_at).label("first_at"))
                   .where(Contract.created_at >= now - timedelta(days=365))
                   .group_by(Contract.provider_id, Contract.brand_id), Contract.provider_id).subquery()
    tier = case(*((BrandProfile.size_tier == name, value) for name, value in ratings.TIER_VALUES.items()), else_=25)
    fill(select(pairs.c.provider_id, func.count(), func.sum(case((pairs.c.contracts >= 2, 1), else_=0)),
                func.sum(tier))
         .outerjoin(BrandProfile, BrandProfile.user_id == pairs.c.brand_id).group_by(pairs.c.provider_id),
         "brands_12m", "repeat_brands_12m", "tier_total_12m")

    # Growth: released volume and brands first served, last 6 months against the 6 before.
    recent, previous = now - timedelta(days=182), now - timedelta(days=365)
    paid = case((Milestone.status == "released", Milestone.amount), else_=func.coalesce(Dispute.provider_amount, 0))
    fill(scoped(select(Contract.provider_id,
                       func.sum(case((Milestone.released_at >= recent, paid), else_=0)),
                       func.sum(case((and_(Milestone.released_at >= previous, Milestone.released_at < recent), paid),
                                     else_=0)))
                .join(Milestone, Milestone.contract_id == Contract.id)
                .outerjoin(Dispute, and_(Dispute.milestone_id == Milestone.id, Dispute.status == "resolved"))
                .where(settled, Milestone.released_at.is_not(None)).group_by(Contract.provider_id),
                Contract.provider_id), "volume_recent", "volume_previous")
    firsts = scoped(select(Contract.provider_id.label("provider_id"), func.min(Contract.created_at).label("first_at"))
                    .group_by(Contract.provider_id, Contract.brand_id), Contract.provider_id).subquery()
    fill(select(firsts.c.provider_id, func.sum(case((firsts.c.first_at >= recent, 1), else_=0)),
                func.sum(case((and_(firsts.c.first_at >= previous, firsts.c.first_at < recent), 1), else_=0)))
         .group_by(firsts.c.provider_id), "new_brands_recent", "new_brands_previous")
    for provider_id in provider_ids or []:
        inputs[provider_id]  # providers with no data at all still get a (new-provider) rating  # noqa: B018
    return inputs


def store(now: datetime, inputs: dict[int, ratings.RatingInputs], mean: float, *, chunk: int = 5000,
          progress=None) -> int:
    """Write one rating row per provider (history), in chunks, then copy the current stars and
    score onto the profiles with one UPDATE … FROM the rows just written."""
    items, done = list(inputs.items()), 0
    for start in range(0, len(items), chunk):
        rows = []
        for provider_id, data in items[start:start + chunk]:
            result = ratings.rate(data, mean)
            rows.append({"provider_id": provider_id, "computed_at": now, "score": result.score,
                         "stars": result.stars, "service_reviews": result.dimensions["service_reviews"],
                         "operating": result.dimensions["operating"],
                         "brand_development": result.dimensions["brand_development"],
                         "growth": result.dimensions["growth"],
                         # the inputs alone: the breakdown is derived from them again (ratings.explain)
                         "inputs": {**vars(data), "platform_mean": round(mean, 4)}})
        _insert_ratings(rows)
        done += len(rows)
        if progress is not None:
            progress(done, len(items))
    if items:  # UPDATE … FROM (PostgreSQL, and SQLite ≥ 3.33): one statement for every profile
        db.session.execute(update(ProviderProfile)
                           .where(ProviderProfile.user_id == ProviderRating.provider_id,
                                  ProviderRating.computed_at == now)
                           .values(stars=ProviderRating.stars, rating_score=ProviderRating.score)
                           .execution_options(synchronize_session=False))
    return done


RATING_COLUMNS = ("provider_id", "computed_at", "score", "stars", "service_reviews", "operating",
                  "brand_development", "growth", "inputs")


def _insert_ratings(rows: list[dict]) -> None:
    """PostgreSQL: COPY (a nightly run writes one row per provider); elsewhere a plain INSERT."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(db.insert(ProviderRating), rows)
        return
    cursor = db.session.connection().connection.cursor()
    with cursor.copy(f"COPY provider_ratings ({', '.join(RATING_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c == "inputs" else row[c] for c in RATING_COLUMNS])


def recompute(provider_ids: list[int], now: datetime) -> int:
    return store(now, gather(now, provider_ids), platform_mean(now))


def all_provider_ids() -> list[int]:
    return list(db.session.scalars(select(ProviderProfile.user_id).order_by(ProviderProfile.user_id)))
