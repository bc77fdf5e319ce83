"""The provider directory, current ratings, badges and recommendations for a tender."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import PartnerBadge, ProviderCategory, ProviderProfile, ProviderRating, Tender, User
from models.catalog import CATEGORIES, PROVINCES
from models.types import utcnow
from services import ratings
from services.errors import Forbidden, check
from services.pagination import Page, paginate

# Star levels suited to a brand of each size: bigger brands are shown proven providers first.
SUITED_STARS = {"small": (None, 3, 4), "growing": (3, 4, 5), "large": (4, 5, 6), "flagship": (5, 6)}
BADGE_SHARES = (("gold", 0.05), ("silver", 0.15))  # top 5 % gold, the next 15 % silver
BADGE_MIN_CONTRACTS = ratings.MIN_COMPLETED_CONTRACTS


def search(*, category=None, province=None, city=None, min_stars=None, verified=None, page=1, per_page=20) -> Page:
    """Providers, best first: stars, then score, then verified; new providers last."""
    check({"category": category not in (None, "", *CATEGORIES) and _l("Unknown category."),
           "province": province not in (None, "", *PROVINCES) and _l("Choose a province from the list."),
           "min_stars": min_stars is not None and not 3 <= min_stars <= 6 and _l("Star levels run from 3 to 6.")})
    stmt = select(ProviderProfile).options(selectinload(ProviderProfile.category_rows),
                                           selectinload(ProviderProfile.user), selectinload(ProviderProfile.cases))
    if category:
        stmt = stmt.where(ProviderProfile.user_id.in_(select(ProviderCategory.provider_id)
                                                      .where(ProviderCategory.category == category)))
    if province:
        stmt = stmt.where(ProviderProfile.province == province)
    if city:
        stmt = stmt.where(ProviderProfile.city == city.strip())
    if min_stars:
        stmt = stmt.where(ProviderProfile.stars >= min_stars)
    if verified is not None:
        stmt = stmt.where((ProviderProfile.verification_status == "verified") == verified)
    stmt = stmt.order_by(ProviderProfile.stars.desc().nulls_last(), ProviderProfile.rating_score.desc().nulls_last(),
                         (ProviderProfile.verification_status == "verified").desc(), ProviderProfile.user_id)
    return paginate(stmt, page, per_page)


def latest_ratings(provider_ids: list[int]) -> dict[int, ProviderRating]:
    """The newest rating of each provider, in one query."""
    if not provider_ids:
        return {}
    newest = (select(ProviderRating.provider_id, func.max(ProviderRating.id).label("id"))
              .where(ProviderRating.provider_id.in_(provider_ids)).group_by(ProviderRating.provider_id).subquery())
    rows = db.session.scalars(select(ProviderRating).join(newest, newest.c.id == ProviderRating.id))
    return {row.provider_id: row for row in rows}


def history(provider_id: int, limit: int = 60) -> list[ProviderRating]:
    return list(db.session.scalars(select(ProviderRating).where(ProviderRating.provider_id == provider_id)
                                   .order_by(ProviderRating.id.desc()).limit(limit)))[::-1]


def badges_of(provider_ids: list[int]) -> dict[int, list[PartnerBadge]]:
    out: dict[int, list[PartnerBadge]] = {pid: [] for pid in provider_ids}
    if provider_ids:
        for badge in db.session.scalars(select(PartnerBadge).where(PartnerBadge.provider_id.in_(provider_ids))
                                        .order_by(PartnerBadge.period.desc())):
            out[badge.provider_id].append(badge)
    return out


def half_year(moment: datetime) -> str:
    return f"{moment.year}H{1 if moment.month <= 6 else 2}"


def award_badges(now: datetime | None = None) -> int:
    """Gold and silver partners per category for the current half-year, from the current ratings:
    among rated providers of the category with ≥ 3 completed contracts, the top 5 % (at least one)
    are gold and the next 15 % silver. Recomputed as ratings change until the half-year ends."""
    now = now or utcnow()
    period = half_year(now)
    db.session.execute(delete(PartnerBadge).where(PartnerBadge.period == period))
    awarded = 0
    for category in CATEGORIES:
        ranked = db.session.execute(
            select(ProviderProfile.user_id, ProviderProfile.rating_score).join(ProviderCategory)
            .where(ProviderCategory.category == category, ProviderProfile.stars.is_not(None))
            .order_by(ProviderProfile.rating_score.desc(), ProviderProfile.user_id)).all()
        start = 0
        for level, share in BADGE_SHARES:
            count = max(1, round(len(ranked) * share)) if ranked else 0
            for provider_id, score in ranked[start:start + count]:
                db.session.add(PartnerBadge(provider_id=provider_id, category=category, period=period, level=level,
                                            score=score))
                awarded += 1
            start += count
    return awarded


def recommended_for(viewer: User, tender: Tender, limit: int = 5) -> list[ProviderProfile]:
    """For the tender's brand: verified providers of the category at star levels suited to the
    brand's size, not yet invited or bidding."""
    if viewer is None or viewer.id != tender.brand_id:
        raise Forbidden()
    tier = viewer.brand_profile.size_tier if viewer.brand_profile else "small"
    levels = SUITED_STARS.get(tier, SUITED_STARS["small"])
    stars = [s for s in levels if s is not None]
    taken = {b.provider_id for b in tender.bids} | {i.provider_id for i in tender.invitations}
    stmt = (select(ProviderProfile).join(ProviderCategory)
            .where(ProviderCategory.category == tender.category, ProviderProfile.verification_status == "verified")
            .options(selectinload(ProviderProfile.user)))
    stmt = stmt.where(ProviderProfile.stars.in_(stars) | ProviderProfile.stars.is_(None)) if None in levels \
        else stmt.where(ProviderProfile.stars.in_(stars))
    if taken:
        stmt = stmt.where(ProviderProfile.user_id.not_in(taken))
    stmt = stmt.order_by(ProviderProfile.stars.desc().nulls_last(), ProviderProfile.rating_score.desc().nulls_last())
    return list(db.session.scalars(stmt.limit(limit)))
