"""The inputs of services.ratings, aggregated in SQL for many providers at once (GROUP BY
provider), and the writes of the computed ratings. No Python loop ever walks reviews or milestones.

A provider's profile holds its current rating: stars, score and the whole-number inputs it came from
(`rating_counts`). The rating history is a change log: when a recompute gives a rating that differs
from the profile's (score, stars, or a whole-number input such as the review count — the decaying
review weights alone do not make a change), the profile takes it and a ProviderRating row records it,
in the same transaction. The newest row therefore says since when the current rating holds; when
ratings were last checked is recorded per full run (RatingRun).

A won contest counts as completed work: each prize (ContestAward) is a settled, on-time piece of work
whose amount joins the released volume (by when the contest was awarded), its brand a brand served,
and the brand's review of the winner weighs by the prize as a contract's review weighs by the
contract. Each aggregate reads both kinds of work in the same statement (UNION ALL, then one GROUP BY),
so each input still comes from one statement.

Two paths share the same aggregates (`_aggregates`):
- `recompute(ids)` — the providers an event touched: `gather` fills RatingInputs, the Python formula
  (ratings.rate) scores them, and what changed is written (`store`);
- `recompute_everyone` — the nightly run: every profile joined to the aggregates makes a temporary table
  of inputs in one statement; the formula compiled to SQL (ratings.sql_rate) scores them, and the
  ratings that differ from their profile's go into a second one; the history rows are written from it
  with INSERT … SELECT (in chunks, for progress) and the profiles with one UPDATE … FROM.
  No row passes through Python, so memory stays flat.
"""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ClauseElement,
    Executable,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    insert,
    literal,
    select,
    table,
    text,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles

from extensions import db
from models import (
    BrandProfile,
    Contest,
    ContestAward,
    ContestEntry,
    Contract,
    Dispute,
    KpiResult,
    Milestone,
    MilestoneDelivery,
    MilestoneEvent,
    ProviderProfile,
    ProviderRating,
    Review,
)
from models.contract import FINISHED, ContractStatus, MilestoneStatus
from models.dispute import STAFF_DISPUTE_REASONS, DisputeStatus
from models.review import RatingRun
from models.types import UTCDateTime
from services import locking, ratings
from services.reviews import published

INPUT_NAMES = tuple(ratings.RatingInputs.__dataclass_fields__)
INTEGER_INPUTS = frozenset(name for name in INPUT_NAMES if isinstance(getattr(ratings.RatingInputs(), name), int))
RESULT_COLUMNS = ("score", "stars", *ratings.WEIGHTS)
COUNT_NAMES = tuple(name for name in INPUT_NAMES if name in INTEGER_INPUTS)
# Rating writers (the nightly run, the event path) take turns: each compares with what the last one
# committed, so a change is written once (locking.serialize).
WRITERS_LOCK = 0x57495452  # "WITR"
WORK_MEM = "64MB"  # the nightly run's sort and hash memory (PostgreSQL's default, 4MB, spills its aggregates to disk)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _age_days(column, now: datetime):
    if _dialect() == "sqlite":
        return func.julianday(now.replace(tzinfo=None)) - func.julianday(column)
    # date_part() is extract() as a double: no numeric arithmetic per review
    return func.date_part("epoch", literal(now) - column) / 86400.0


def _published_reviews(now: datetime):
    """Brands' reviews of providers that are public at `now` (one table: reviews.visible_from)."""
    return select(Review).where(Review.author_role == "brand", published(now))


SCORE = (Review.quality + Review.communication + Review.timeliness + Review.professionalism) / 4.0


def mean_of(inputs: dict[int, ratings.RatingInputs]) -> float:
    """The platform mean from a gather over every provider (saves a second pass over the reviews)."""
    count = sum(i.review_count for i in inputs.values())
    return sum(i.review_score_sum for i in inputs.values()) / count if count else ratings.DEFAULT_PLATFORM_MEAN


def platform_mean(now: datetime) -> float:
    value = db.session.scalar(_published_reviews(now).with_only_columns(func.avg(SCORE)))
    return float(value) if value is not None else ratings.DEFAULT_PLATFORM_MEAN


def _aggregates(now: datetime, provider_ids: list[int] | None):
    """(statement, input names) pairs: each statement yields provider_id and those inputs, one row per
    provider, for the given providers (all when None)."""
    def scoped(stmt, column):
        return stmt.where(column.in_(provider_ids)) if provider_ids is not None else stmt

    # A brand's review has the provider as its subject; its weight needs the amount of what it reviews
    # (the contract's, or the contest prize's), which the review's row carries: no join per review.
    weight = (func.power(0.5, _age_days(Review.created_at, now) / ratings.HALF_LIFE_DAYS)
              * (1 + func.log10(1 + Review.weighing_amount / float(ratings.SIZE_UNIT))))
    yield (scoped(_published_reviews(now).with_only_columns(Review.subject_id, func.count(Review.id), func.sum(weight),
                                                            func.sum(weight * SCORE), func.sum(SCORE))
                  .group_by(Review.subject_id), Review.subject_id),
           ("review_count", "review_weight", "review_weighted_score", "review_score_sum"))

    # Settled milestones, on time or not, the volume released over the last 6 months and the 6 before
    # (a milestone decided in a dispute counts what the provider was awarded), and funded work overdue,
    # in one pass.
    recent, previous = now - ratings.RECENT_PERIOD, now - ratings.BRANDS_PERIOD
    first_delivery = (select(MilestoneDelivery.milestone_id, func.min(MilestoneDelivery.created_at).label("at"))
                      .group_by(MilestoneDelivery.milestone_id).subquery())
    decided = (select(Dispute.milestone_id, func.count().label("disputes"),
                      func.sum(func.coalesce(Dispute.provider_amount, 0)).label("awarded"))
               .where(Dispute.status == DisputeStatus.RESOLVED).group_by(Dispute.milestone_id).subquery())
    # each resolved dispute counts a released milestone's amount once more (as the join it replaces did)
    paid = case((Milestone.status == MilestoneStatus.RELEASED, Milestone.amount * func.coalesce(decided.c.disputes, 1)),
                else_=func.coalesce(decided.c.awarded, 0))
    settled = Milestone.status.in_(FINISHED)
    work_names = ("settled_milestones", "on_time_milestones", "volume_recent", "volume_previous", "overdue_milestones")
    # One row per milestone and per prize, then one GROUP BY: whole numbers summed once (summing
    # per-kind sums again would add numerics).
    milestones = scoped(select(Contract.provider_id.label("provider_id"), case((settled, 1), else_=0),
                               case((and_(settled, first_delivery.c.at <= Milestone.due_at), 1), else_=0),
                               case((Milestone.released_at >= recent, paid), else_=0),
                               case((and_(Milestone.released_at >= previous, Milestone.released_at < recent), paid),
                                    else_=0),
                               # funded into escrow, past its due date, and not delivered yet (still `funded`)
                               case((and_(Milestone.status == MilestoneStatus.FUNDED, Milestone.due_at < now), 1),
                                    else_=0))
                        .join(Milestone, Milestone.contract_id == Contract.id)
                        .outerjoin(first_delivery, first_delivery.c.milestone_id == Milestone.id)
                        .outerjoin(decided, decided.c.milestone_id == Milestone.id)
                        .where(Milestone.status.in_((*FINISHED, MilestoneStatus.FUNDED))), Contract.provider_id)
    # A contest prize is work settled on time (the entry was in by the deadline; the prize was paid on
    # award), its amount released when the contest was awarded; it is never overdue.
    prizes = scoped(select(ContestEntry.provider_id, literal(1), literal(1),
                           case((Contest.awarded_at >= recent, ContestAward.amount), else_=0),
                           case((and_(Contest.awarded_at >= previous, Contest.awarded_at < recent),
                                 ContestAward.amount), else_=0),
                           literal(0))
                    .select_from(ContestAward).join(ContestEntry, ContestEntry.id == ContestAward.entry_id)
                    .join(Contest, Contest.id == ContestAward.contest_id), ContestEntry.provider_id)
    work = union_all(milestones, prizes).subquery("work")
    yield (select(work.c.provider_id, *(func.sum(value) for value in list(work.c)[1:])).group_by(work.c.provider_id),
           work_names)
    yield (scoped(select(Contract.provider_id, func.count(MilestoneEvent.id))
                  .join(Milestone, Milestone.contract_id == Contract.id)
                  .join(MilestoneEvent, MilestoneEvent.milestone_id == Milestone.id)
                  .where(MilestoneEvent.kind == MilestoneStatus.CHANGES_REQUESTED, settled)
                  .group_by(Contract.provider_id),
                  Contract.provider_id), ("change_requests",))
    yield (scoped(select(Contract.provider_id, func.count(KpiResult.id), func.sum(case((KpiResult.met, 1), else_=0)))
                  .join(KpiResult, KpiResult.contract_id == Contract.id).group_by(Contract.provider_id),
                  Contract.provider_id), ("kpi_results", "kpi_met"))
    yield (scoped(select(Contract.provider_id, func.count(Dispute.id))
                  .join(Milestone, Milestone.contract_id == Contract.id)
                  .join(Dispute, Dispute.milestone_id == Milestone.id)
                  # a dispute staff opened to settle a suspended account's escrow is nobody's complaint
                  .where(Dispute.status == DisputeStatus.RESOLVED, Dispute.provider_amount * 2 < Milestone.amount,
                         Dispute.reason.not_in(STAFF_DISPUTE_REASONS))
                  .group_by(Contract.provider_id), Contract.provider_id), ("disputes_lost",))

    # Per provider and brand, one pass over the contracts: how many ended which way, how many were
    # signed in the last 12 months, and when the brand was first served (a cancelled contract, where
    # no money moved, serves nobody).
    # A contest prize is a completed contract with the contest's brand, signed when it was awarded.
    serving = Contract.status != ContractStatus.CANCELLED
    # One row per contract and per prize, then one GROUP BY per provider and brand.
    by_contract = scoped(select(Contract.provider_id.label("provider_id"), Contract.brand_id.label("brand_id"),
                                case((Contract.status == ContractStatus.COMPLETED, 1), else_=0).label("completed"),
                                case((and_(serving, Contract.created_at >= previous), 1), else_=0)
                                .label("contracts_12m"),
                                case((serving, Contract.created_at)).label("first_at")), Contract.provider_id)
    by_prize = scoped(select(ContestEntry.provider_id, Contest.brand_id, literal(1),
                             case((Contest.awarded_at >= previous, 1), else_=0), Contest.awarded_at)
                      .select_from(ContestAward).join(ContestEntry, ContestEntry.id == ContestAward.entry_id)
                      .join(Contest, Contest.id == ContestAward.contest_id), ContestEntry.provider_id)
    both = union_all(by_contract, by_prize).subquery("work_pairs")
    pairs = select(both.c.provider_id, both.c.brand_id, func.sum(both.c.completed).label("completed"),
                   func.sum(both.c.contracts_12m).label("contracts_12m"), func.min(both.c.first_at).label("first_at")) \
        .group_by(both.c.provider_id, both.c.brand_id).subquery()
    tier = case(*((BrandProfile.size_tier == name, value) for name, value in ratings.TIER_VALUES.items()), else_=25)
    served = pairs.c.contracts_12m > 0
    yield (select(pairs.c.provider_id, func.sum(pairs.c.completed),
                  func.sum(case((served, 1), else_=0)), func.sum(case((pairs.c.contracts_12m >= 2, 1), else_=0)),
                  func.sum(case((served, tier), else_=0)),
                  func.sum(case((pairs.c.first_at >= recent, 1), else_=0)),
                  func.sum(case((and_(pairs.c.first_at >= previous, pairs.c.first_at < recent), 1), else_=0)))
           .outerjoin(BrandProfile, BrandProfile.user_id == pairs.c.brand_id).group_by(pairs.c.provider_id),
           ("completed_contracts", "brands_12m", "repeat_brands_12m", "tier_total_12m",
            "new_brands_recent", "new_brands_previous"))


def gather(now: datetime, provider_ids: list[int] | None = None) -> dict[int, ratings.RatingInputs]:
    """RatingInputs for the given providers (all providers when None), from a fixed number of queries."""
    inputs: dict[int, ratings.RatingInputs] = defaultdict(ratings.RatingInputs)
    for stmt, names in _aggregates(now, provider_ids):
        for provider_id, *values in db.session.execute(stmt):
            row = inputs[provider_id]
            for name, value in zip(names, values, strict=True):
                setattr(row, name, type(getattr(row, name))(value or 0))
    for provider_id in provider_ids or []:
        inputs[provider_id]  # providers with no data at all still get a (new-provider) rating  # noqa: B018
    return inputs


def counts_key(inputs: ratings.RatingInputs) -> str:
    """The whole-number inputs, space-separated in order (stored as ProviderRating.input_counts)."""
    return " ".join(str(getattr(inputs, name)) for name in COUNT_NAMES)


def _counts_key_sql(source):
    """counts_key in SQL, over the integer columns of `source` (both databases print integers alike)."""
    if _dialect() == "postgresql":  # one call, not two dozen concatenations a row
        return func.concat_ws(literal(" "), *(source.c[name] for name in COUNT_NAMES), type_=String)
    key = cast(source.c[COUNT_NAMES[0]], String)
    for name in COUNT_NAMES[1:]:
        key = key + literal(" ") + cast(source.c[name], String)
    return key


def _hundredths(score):
    """A score (stored: numeric(5, 2); computed: the double nearest to it) as a whole number of hundredths:
    equal exactly when the stored values are, without converting between double and numeric, which
    PostgreSQL does through text."""
    return cast(func.round(score * 100), Integer)


def store(now: datetime, inputs: dict[int, ratings.RatingInputs], mean: float) -> int:
    """Rate the given providers with the Python formula and write the ratings that differ from their
    profile's: the profile takes the new rating and a history row records it. The caller holds the
    writers' turn from before it read the inputs (`recompute` does)."""
    ids = list(inputs)
    if not ids:
        return 0
    current = {user_id: (stars, None if score is None else float(score), counts)
               for user_id, stars, score, counts in db.session.execute(
                   select(ProviderProfile.user_id, ProviderProfile.stars, ProviderProfile.rating_score,
                          ProviderProfile.rating_counts).where(ProviderProfile.user_id.in_(ids)))}
    rows, profiles = [], []
    for provider_id, data in inputs.items():
        result, key = ratings.rate(data, mean), counts_key(data)
        if provider_id not in current or current[provider_id] == (result.stars, result.score, key):
            continue  # not a provider (every provider has a profile), or unchanged
        rows.append({"provider_id": provider_id, "computed_at": now, "score": result.score, "stars": result.stars,
                     **result.dimensions,
                     # the inputs alone: the breakdown is derived from them again (ratings.explain)
                     "inputs": {**vars(data), "platform_mean": round(mean, 4)}, "input_counts": key})
        profiles.append({"user_id": provider_id, "stars": result.stars, "rating_score": result.score,
                         "rating_counts": key})
    if rows:
        db.session.execute(insert(ProviderRating), rows)
        db.session.execute(update(ProviderProfile), profiles)  # by primary key, as one executemany
    return len(ids)


def take_writers_turn() -> None:
    """Wait for any other rating writer to commit (held until this transaction ends)."""
    locking.serialize(ProviderRating, WRITERS_LOCK)


def recompute(provider_ids: list[int], now: datetime) -> int:
    take_writers_turn()  # before reading: inputs read while another writer commits would be stale
    return store(now, gather(now, provider_ids), platform_mean(now))


# --- every provider at once, in SQL ------------------------------------------------------------------------

class CreateTempTableAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS query (also used by directory.award_badges)."""

    inherit_cache = False

    def __init__(self, name: str, query):
        self.name, self.query = name, query


@compiles(CreateTempTableAs)
def _compile_create_temp_table_as(element, compiler, **kw):
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


INPUTS_TABLE, CHANGES_TABLE = "rating_inputs", "rating_changes"
rating_inputs = table(INPUTS_TABLE, column("provider_id"), *map(column, INPUT_NAMES))
# The ratings that differ from their profile's, numbered (for the chunks).
rating_changes = table(CHANGES_TABLE, column("provider_id"), column("position"), *map(column, INPUT_NAMES),
                       *map(column, RESULT_COLUMNS), column("input_counts"))


def _inputs_of_everyone(now: datetime):
    """One row per provider (every provider has a profile) with all its inputs, 0 where an aggregate
    has no row for it."""
    profiles = ProviderProfile.__table__
    joined = profiles
    parts = [(stmt.subquery(f"part_{n}"), names) for n, (stmt, names) in enumerate(_aggregates(now, None))]
    for part, _ in parts:
        joined = joined.outerjoin(part, list(part.c)[0] == profiles.c.user_id)
    # Whole numbers as bigint: PostgreSQL's sum() of integers is numeric, which the formula would then
    # convert and add in slow decimal arithmetic on every row (the values are the same).
    columns = {name: (cast(func.coalesce(value, 0), BigInteger) if name in INTEGER_INPUTS
                      else func.coalesce(value, 0.0)).label(name)
               for part, names in parts for name, value in zip(names, list(part.c)[1:], strict=True)}
    return select(profiles.c.user_id.label("provider_id"), *(columns[name] for name in INPUT_NAMES)).select_from(joined)


def _inputs_json(source, mean: float):
    """The inputs column, as `store` writes it: the RatingInputs in order, then the rounded platform mean
    (spelled out by concatenation, which PostgreSQL does twice as fast as json_build_object)."""
    sqlite = _dialect() == "sqlite"

    def number(name: str):
        value = source.c[name]
        if name in INTEGER_INPUTS or not sqlite:
            return cast(value, String)  # PostgreSQL writes a double the shortest way that reads back exact
        # SQLite: the shortest of 15, 16 or 17 digits that reads back exact, as Python writes it
        spelled = {digits: func.printf(f"%!.{digits}g", value) for digits in (15, 16)}
        return case((cast(spelled[15], Float) == value, spelled[15]), (cast(spelled[16], Float) == value, spelled[16]),
                    else_=func.printf("%!.17g", value))

    spelled = literal("{")
    for n, name in enumerate(INPUT_NAMES):
        spelled = spelled + literal(f'{", " if n else ""}"{name}": ') + number(name)
    spelled = spelled + literal(f', "platform_mean": {round(mean, 4)!r}}}')
    return spelled if sqlite else cast(spelled, JSON)


def _drop_temporary_tables() -> None:
    for name in (INPUTS_TABLE, CHANGES_TABLE):
        db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def recompute_everyone(now: datetime, *, chunk: int = 5000, progress=None) -> RatingRun:
    """Rate every provider with set-based SQL (see the module's docstring) and record the run (RatingRun:
    when ratings were last checked, how many changed); `progress(done, total)` counts providers."""
    take_writers_turn()
    dialect = _dialect()
    if dialect == "postgresql":  # one large plan, run once: compiling it to machine code costs more than it saves
        db.session.execute(text("SET LOCAL jit = off"))
        # a hash table per aggregate over every provider: in memory, not sorted on disk (this transaction only)
        db.session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    _drop_temporary_tables()  # a run that failed on this connection may have left them (SQLite)
    db.session.execute(CreateTempTableAs(INPUTS_TABLE, _inputs_of_everyone(now)))
    total, score_sum, count = db.session.execute(
        select(func.count(), func.sum(rating_inputs.c.review_score_sum), func.sum(rating_inputs.c.review_count))
        .select_from(rating_inputs)).one()
    count = int(count or 0)  # the platform mean exactly as mean_of computes it (the sums are exact)
    mean = float(score_sum) / count if count else ratings.DEFAULT_PLATFORM_MEAN
    # The ratings that differ from their profile's, in a table of their own: the writes below read it,
    # never a table they write (a plan made while that was empty would scan it again for every row).
    scored = ratings.sql_rate(rating_inputs, mean, dialect).subquery("scored")
    # the counts key spelled once per row (OFFSET 0: a subquery of its own, as the formula's stages)
    rated = select(*scored.c, _counts_key_sql(scored).label("input_counts")).offset(0).subquery("rated")
    profiles = ProviderProfile.__table__
    differs = (profiles.c.stars.is_distinct_from(rated.c.stars)
               | _hundredths(profiles.c.rating_score).is_distinct_from(_hundredths(rated.c.score))
               | profiles.c.rating_counts.is_distinct_from(rated.c.input_counts))
    db.session.execute(CreateTempTableAs(CHANGES_TABLE, select(
        *rated.c, func.row_number().over(order_by=rated.c.provider_id).label("position"))
        .select_from(rated.join(profiles, profiles.c.user_id == rated.c.provider_id)).where(differs)))
    changed = db.session.scalar(select(func.count()).select_from(rating_changes))
    if progress is not None:  # providers done: the unchanged ones now, the changed ones as they are written
        progress(total - changed, total)
    # One INSERT, run once per chunk of positions (built once: its long concatenations are slow to build)
    rows = select(rating_changes).where(rating_changes.c.position > bindparam("after"),
                                        rating_changes.c.position <= bindparam("upto")).subquery()
    write_history = insert(ProviderRating.__table__).from_select(
        ["provider_id", "computed_at", *RESULT_COLUMNS, "inputs", "input_counts"],
        select(rows.c.provider_id, literal(now, UTCDateTime()), *(rows.c[name] for name in RESULT_COLUMNS),
               _inputs_json(rows, mean), rows.c.input_counts))
    for start in range(0, changed, chunk):
        db.session.execute(write_history, {"after": start, "upto": start + chunk})
        if progress is not None:
            progress(total - changed + min(start + chunk, changed), total)
    changes = rating_changes.c
    db.session.execute(update(ProviderProfile).where(ProviderProfile.user_id == changes.provider_id)
                       .values(stars=changes.stars, rating_score=changes.score,
                               rating_counts=changes.input_counts)
                       .execution_options(synchronize_session=False))
    _drop_temporary_tables()
    run = RatingRun(rated_at=now, providers=total, changed=changed)
    db.session.add(run)
    db.session.flush()
    return run
