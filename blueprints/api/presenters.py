"""Model rows → API schemas, deciding per viewer what each may see."""
from decimal import Decimal

from blueprints.api import schemas
from models import ProviderProfile, Tender, User


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut.model_validate(user)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def visible_bid_count(tender: Tender, viewer: User | None) -> int | None:
    """Sealed tenders hide the count from everyone but their brand (and staff) until award."""
    insider = viewer is not None and (viewer.is_admin or viewer.id == tender.brand_id)
    if tender.sealed and tender.status != "awarded" and not insider:
        return None
    return 0  # bids arrive with the bidding issue; until then no tender has any


def tender_out(tender: Tender, viewer: User | None) -> schemas.TenderOut:
    brand = tender.brand
    profile = brand.brand_profile
    return schemas.TenderOut(
        id=tender.id, title=tender.title, category=tender.category, description=tender.description,
        budget_min=tender.budget_min, budget_max=tender.budget_max, currency=tender.currency,
        bid_deadline=tender.bid_deadline, sealed=tender.sealed, rounds=tender.rounds,
        status=tender.status, current_round=tender.current_round_kind,
        bid_count=visible_bid_count(tender, viewer),
        kpis=[schemas.KpiOut(name=k.name, target=_number(k.target), unit=k.unit) for k in tender.kpis],
        brand=schemas.BrandSummary(id=brand.id, display_name=brand.display_name,
                                   store_name=profile.store_name if profile else None,
                                   size_tier=profile.size_tier if profile else None),
        created_at=tender.created_at,
    )


def provider_out(profile: ProviderProfile) -> schemas.ProviderOut:
    return schemas.ProviderOut(
        id=profile.user_id, display_name=profile.user.display_name, company_name=profile.company_name,
        categories=profile.categories, province=profile.province, city=profile.city,
        description=profile.description, team_size=profile.team_size, verified=profile.verified,
        verification_status=profile.verification_status,
        cases=[schemas.ShowcaseCaseOut.model_validate(c) for c in profile.cases], stars=None,
    )
