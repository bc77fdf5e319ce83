"""The provider directory, current ratings, badges and recommendations for a tender."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
    update,
)
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models import (
    BrandProfile,
    Contract,
    Organisation,
    PartnerBadge,
    ProviderCategory,
    ProviderProfile,
    ProviderRating,
    Tender,
    User,
)
from models.catalog import CATEGORIES, PROVINCES
from models.contract import ContractStatus
from models.review import RatingRun
from models.tender import TenderStatus
from models.types import UTCDateTime, utcnow
from services import line_chart, locking, ratings, search_index
from services.errors import Forbidden, check
from services.pagination import Keyset, Page, paginate
from services.ratings_data import CreateTempTableAs

# Star levels suited to a brand of each size: bigger brands are shown proven providers first.
SUITED_STARS = {"small": (None, 3, 4), "growing": (3, 4, 5), "large": (4, 5, 6), "flagship": (5, 6)}
# (level, share of the ranked providers, at least): the top 5 % gold (at least one), the next 15 % silver
BADGE_SHARES = (("gold", 0.05, 1), ("silver", 0.15, 0))
BADGE_MIN_CONTRACTS = ratings.MIN_COMPLETED_CONTRACTS


def _best_first_key(profile: ProviderProfile) -> list:
    return [profile.stars or 0, profile.rating_score if profile.rating_score is not None else NO_SCORE,
            profile.verification_status == "verified", -profile.user_id]


NO_SCORE = -1  # below every score (0–100): unrated providers sort after rated ones, as NULLS LAST did
# The directory's order as one descending row, each part never null, so that a cursor is one row comparison
# and an index (ix_provider_profiles_best_first, the same expressions) reads it in order: stars (new
# providers, no stars, last), score (unrated last), verified first, then the lowest id (as `-user_id`).
# (Constants written out, not bound, so the planner matches them to the index's expressions.)
BEST_FIRST = Keyset((func.coalesce(ProviderProfile.stars, literal_column("0")),
                     func.coalesce(ProviderProfile.rating_score, literal_column(str(NO_SCORE))),
                     ProviderProfile.verification_status == literal_column("'verified'"), -ProviderProfile.user_id),
                    key=_best_first_key)


def search(*, category=None, province=None, city=None, min_stars=None, verified=None, q=None, page=1,
           per_page=20, cursor=None) -> Page:
    """Providers, best first: stars, then score, then verified; new providers last. With search words `q`
    (each must appear in the name, description, categories or portfolio cases: services/search_index.py)
    the best matches come first, then that order.

    `cursor` (a page's `next_cursor`) continues the best-first list without words after that page's last
    provider, through an index, as fast at any depth; searches page by number only."""
    check({"q": q is not None and len(q) > search_index.MAX_QUERY_LENGTH
           and _l("Search at most %(n)s characters.", n=search_index.MAX_QUERY_LENGTH),
           "category": category not in (None, "", *CATEGORIES) and _l("Unknown category."),
           "province": province not in (None, "", *PROVINCES) and _l("Choose a province from the list."),
           "min_stars": min_stars is not None and not ratings.BASE_STARS <= min_stars <= ratings.TOP_STARS
           and _l("Star levels run from %(low)s to %(high)s.", low=ratings.BASE_STARS, high=ratings.TOP_STARS)})
    stmt = select(ProviderProfile).options(selectinload(ProviderProfile.category_rows),
                                           joinedload(ProviderProfile.user), selectinload(ProviderProfile.cases))
    # organisations, by their principal's profile (a member's own, from its registration, is not listed)
    stmt = stmt.where(ProviderProfile.user_id.in_(select(Organisation.account_user_id)),
                      ProviderProfile.user_id.not_in(User.suspended_ids()))  # nobody can deal with them now
    if category:
        stmt = stmt.where(ProviderProfile.user_id.in_(select(ProviderCategory.provider_id)
                                                      .where(ProviderCategory.category == category)))
    if province:
        stmt = stmt.where(ProviderProfile.province == province)
    if city and city.strip():  # trimmed, either case; blank means anywhere
        stmt = stmt.where(func.lower(func.trim(ProviderProfile.city)) == city.strip().lower())
    if min_stars:
        stmt = stmt.where(ProviderProfile.stars >= min_stars)
    if verified is not None:
        stmt = stmt.where((ProviderProfile.verification_status == "verified") == verified)
    terms = search_index.query_terms(q)
    stmt = search_index.matching(stmt, ProviderProfile, terms)
    stmt = stmt.order_by(*(column.desc() for column in BEST_FIRST.columns))
    return paginate(stmt, page, per_page, keyset=None if terms else BEST_FIRST, cursor=cursor)


def latest_ratings(provider_ids: list[int]) -> dict[int, ProviderRating]:
    """The newest rating of each provider (current: the history is a change log), in one query, with
    `checked_at`: when it was last confirmed, the later of its computation and the last full run."""
    if not provider_ids:
        return {}
    newest = (select(ProviderRating.provider_id, func.max(ProviderRating.id).label("id"))
              .where(ProviderRating.provider_id.in_(provider_ids)).group_by(ProviderRating.provider_id).subquery())
    rows = {row.provider_id: row for row in db.session.scalars(
        select(ProviderRating).join(newest, newest.c.id == ProviderRating.id))}
    checked = last_checked() if rows else None
    for row in rows.values():
        row.checked_at = max(row.computed_at, checked) if checked is not None else row.computed_at
    return rows


def last_checked() -> datetime | None:
    """When every provider's rating was last recomputed (the newest RatingRun), if ever."""
    return db.session.scalar(select(RatingRun.rated_at).order_by(RatingRun.id.desc()).limit(1))


def history(provider_id: int, limit: int = 60) -> list[ProviderRating]:
    """The provider's last `limit` rating changes, oldest first (a step line: each holds until the next)."""
    return list(db.session.scalars(select(ProviderRating).where(ProviderRating.provider_id == provider_id)
                                   .order_by(ProviderRating.id.desc()).limit(limit)))[::-1]


def score_chart(history: list[ProviderRating]):
    """The score over time (services.line_chart), on the 0–100 scale it is given on, x by when each change was
    computed; a point's label is its time, its extra the stars then. None with fewer than two points."""
    if len(history) < 2:
        return None
    start, end = history[0].computed_at.timestamp(), history[-1].computed_at.timestamp()
    return line_chart.plot([(r.computed_at.timestamp(), r.score, r.computed_at, r.stars) for r in history],
                           x_range=(start, end), y_range=(0, 100), left=34)


def badges_of(provider_ids: list[int], periods: tuple[str, ...] | None = None) -> dict[int, list[PartnerBadge]]:
    """Each provider's badges, newest half-year first; only those of `periods` if given."""
    out: dict[int, list[PartnerBadge]] = {pid: [] for pid in provider_ids}
    if provider_ids:
        stmt = select(PartnerBadge).where(PartnerBadge.provider_id.in_(provider_ids))
        if periods is not None:
            stmt = stmt.where(PartnerBadge.period.in_(periods))
        for badge in db.session.scalars(stmt.order_by(PartnerBadge.period.desc(), PartnerBadge.id)):
            out[badge.provider_id].append(badge)
    return out


def half_year(moment: datetime) -> str:
    return f"{moment.year}H{1 if moment.month <= 6 else 2}"


def current_periods(now: datetime | None = None) -> tuple[str, str]:
    """The current half-year and the one before ("2026H2", "2026H1"): the badges still worth showing."""
    now = now or utcnow()
    return half_year(now), f"{now.year}H1" if now.month > 6 else f"{now.year - 1}H2"


BADGES_TABLE, RANKED_TABLE = "badge_awards", "badge_ranking"
BADGES_LOCK = 0x57495442  # "WITB": one award_badges at a time (two would insert the same new badges)


def _drop_badge_tables() -> None:
    for name in (RANKED_TABLE, BADGES_TABLE):
        db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))


def award_badges(now: datetime | None = None) -> int:
    """Gold and silver partners per category for the current half-year, from the current ratings.
    A category ranks, by score, the rated providers with at least BADGE_MIN_CONTRACTS (3) completed
    contracts on tenders of that category — the work done, not the categories a profile lists. The
    top 5 % (at least one) are gold and the next 15 % silver, both rounded to the nearest (halves to
    even), so a category of fewer than four has no silver. Recomputed as ratings change until the
    half-year ends; returns how many badges the half-year holds.

    Set-based, and only what changed is written: the badges earned now are ranked into a temporary
    table in one statement; a badge no longer earned, or earned at another level, is removed (a new
    level is a new award), a kept one follows the provider's score, and new ones are inserted."""
    now = now or utcnow()
    locking.serialize(PartnerBadge, BADGES_LOCK)
    period = half_year(now)
    # Rated providers with their completed contracts per tender category: one join, grouped (the
    # aggregate is never a subquery a nested loop could run again for every provider).
    rated = (select(Tender.category, ProviderProfile.user_id, ProviderProfile.rating_score).select_from(Contract)
             .join(Tender, Tender.id == Contract.tender_id)
             .join(ProviderProfile, ProviderProfile.user_id == Contract.provider_id)
             .where(Contract.status == ContractStatus.COMPLETED, Tender.category.in_(CATEGORIES),
                    ProviderProfile.stars.is_not(None))
             .group_by(Tender.category, ProviderProfile.user_id, ProviderProfile.rating_score)
             .having(func.count() >= BADGE_MIN_CONTRACTS))
    # Ranked per category by score into a table of its own, so the contracts are read once (the sizes
    # below come from it). The sort compares numbers only (a category's position in the list rather
    # than its name, the score as a double: both orders are the same, and cheaper to compare).
    _drop_badge_tables()  # a run that failed on this connection may have left them (SQLite)
    db.session.execute(CreateTempTableAs(RANKED_TABLE, rated.add_columns(func.row_number().over(
        partition_by=case({name: n for n, name in enumerate(CATEGORIES)}, value=Tender.category),
        order_by=(cast(ProviderProfile.rating_score, Float).desc(), ProviderProfile.user_id)).label("rank"))))
    ranked = table(RANKED_TABLE, column("category"), column("user_id"), column("rating_score"), column("rank"))
    sizes = dict(db.session.execute(select(ranked.c.category, func.count()).group_by(ranked.c.category)).all())
    if not sizes:  # nobody rated: nobody holds a badge
        db.session.execute(delete(PartnerBadge.__table__).where(PartnerBadge.__table__.c.period == period))
        _drop_badge_tables()
        return 0
    ends: dict[str, dict[str, int]] = {level: {} for level, *_ in BADGE_SHARES}  # the last rank of each level
    for category, size in sizes.items():
        end = 0
        for level, share, least in BADGE_SHARES:
            end += max(least, round(size * share))
            ends[level][category] = end
    level = case(*((ranked.c.rank <= case(ends[name], value=ranked.c.category, else_=0), literal(name))
                   for name, *_ in BADGE_SHARES))
    # The badges earned now, each beside the level it holds already (if any): the writes below read this
    # table, never the one they write (a plan made while partner_badges was empty would scan it again for
    # every row inserted).
    held = PartnerBadge.__table__.alias("held")
    holding = and_(held.c.provider_id == ranked.c.user_id, held.c.category == ranked.c.category,
                   held.c.period == period)
    earned = table(BADGES_TABLE, column("provider_id"), column("category"), column("level"), column("score"),
                   column("held_level"))
    db.session.execute(CreateTempTableAs(BADGES_TABLE, select(
        ranked.c.user_id.label("provider_id"), ranked.c.category, level.label("level"),
        ranked.c.rating_score.label("score"), held.c.level.label("held_level"))
        .select_from(ranked.outerjoin(held, holding)).where(level.is_not(None))))

    badges = PartnerBadge.__table__
    this_period = badges.c.period == period
    same = and_(earned.c.provider_id == badges.c.provider_id, earned.c.category == badges.c.category)
    db.session.execute(delete(badges).where(
        this_period, ~select(earned.c.provider_id).where(same, earned.c.level == badges.c.level).exists()))
    db.session.execute(update(badges).where(
        this_period, same, earned.c.level == badges.c.level, badges.c.score.is_distinct_from(earned.c.score))
        .values(score=earned.c.score))
    db.session.execute(insert(badges).from_select(
        ["provider_id", "category", "period", "level", "score", "awarded_at"],
        select(earned.c.provider_id, earned.c.category, literal(period), earned.c.level, earned.c.score,
               literal(now, UTCDateTime())).where(earned.c.held_level.is_distinct_from(earned.c.level))))
    holders = db.session.scalar(select(func.count()).select_from(earned))
    _drop_badge_tables()
    return holders


def suited_levels(brand: User) -> tuple[int | None, ...]:
    """The star levels recommended to a brand of its size (None: new providers)."""
    profile = db.session.get(BrandProfile, brand.account_id)
    tier = profile.size_tier if profile else "small"
    return SUITED_STARS.get(tier, SUITED_STARS["small"])


def recommended_for(viewer: User, tender: Tender, limit: int = 5) -> list[ProviderProfile]:
    """For the tender's brand, while bidding is open: verified providers of the category at star levels
    suited to the brand's size, not yet invited or (unless the opening is sealed) bidding."""
    if viewer is None or viewer.account_id != tender.brand_id:
        raise Forbidden()
    if tender.status != TenderStatus.OPEN:  # nobody can be invited any more
        return []
    levels = suited_levels(viewer)
    stars = [s for s in levels if s is not None]
    taken = {i.provider_id for i in tender.invitations}
    if not tender.bids_are_hidden_from_brand:  # a sealed opening hides who bid: a bidder stays listed
        taken |= {b.provider_id for b in tender.bids}
    stmt = (select(ProviderProfile).join(ProviderCategory)
            .where(ProviderCategory.category == tender.category, ProviderProfile.verification_status == "verified",
                   ProviderProfile.user_id.not_in(User.suspended_ids()))
            .options(selectinload(ProviderProfile.user)))
    stmt = stmt.where(ProviderProfile.stars.in_(stars) | ProviderProfile.stars.is_(None)) if None in levels \
        else stmt.where(ProviderProfile.stars.in_(stars))
    if taken:
        stmt = stmt.where(ProviderProfile.user_id.not_in(taken))
    stmt = stmt.order_by(ProviderProfile.stars.desc().nulls_last(), ProviderProfile.rating_score.desc().nulls_last())
    return list(db.session.scalars(stmt.limit(limit)))


def invitable(tender: Tender, provider_ids: list[int]) -> list[ProviderProfile]:
    """Those of `provider_ids` the tender page may invite: providers of the tender's category not yet
    invited — whether recommended or picked from the list, which shows only the first 200."""
    invited = {i.provider_id for i in tender.invitations}
    wanted = [pid for pid in set(provider_ids) if pid not in invited]
    if not wanted:
        return []
    return list(db.session.scalars(select(ProviderProfile).join(ProviderCategory).where(
        ProviderCategory.category == tender.category, ProviderProfile.user_id.in_(wanted))))
