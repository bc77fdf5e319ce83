"""Provider and brand profiles, showcase cases, and staff verification of providers."""
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import BrandProfile, ProviderCategory, ProviderProfile, ShowcaseCase, User
from models.catalog import CATEGORIES, PROVINCES, SIZE_TIERS
from models.types import utcnow
from services import audit, destinations, notifications, permissions, registration_numbers
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate


def _require_role(actor: User, role: str) -> None:
    if actor is None or actor.role != role:
        raise Forbidden()


def _profile_editor(actor: User, role: str) -> User:
    """The organisation's principal, whose profile (and showcase) `actor`, an owner, edits."""
    _require_role(actor, role)
    permissions.require(actor, "profile.edit")
    return permissions.principal_of(actor)


def _rename_organisation(principal: User, name: str) -> None:
    """The organisation is called what its profile says (the name the other side sees)."""
    if principal.membership is not None:
        principal.membership.organisation.name = name


def _text_error(value: str, low: int, high: int):
    if not low <= len(value) <= high:
        return _l("Enter %(low)s to %(high)s characters.", low=low, high=high)
    return None


def get_provider(provider_id: int) -> ProviderProfile:
    profile = db.session.scalar(
        select(ProviderProfile)
        .where(ProviderProfile.user_id == provider_id)
        .options(selectinload(ProviderProfile.category_rows), selectinload(ProviderProfile.cases))
    )
    if profile is None:
        raise NotFound()
    return profile


def update_provider_profile(actor: User, *, company_name: str, categories: list[str], province: str | None,
                            city: str | None, description: str, team_size: int | None) -> ProviderProfile:
    principal = _profile_editor(actor, "provider")
    company_name = (company_name or "").strip()
    categories = sorted(set(categories or []))
    city = (city or "").strip() or None
    check({
        "company_name": _text_error(company_name, 1, 200),
        "categories": (not categories or any(c not in CATEGORIES for c in categories))
        and _l("Choose at least one of the listed categories."),
        "province": province not in (None, "", *PROVINCES) and _l("Choose a province from the list."),
        "city": city is not None and _text_error(city, 1, 64),
        "description": _text_error(description or "", 0, 5000),
        "team_size": team_size is not None and not 1 <= team_size <= 100000
        and _l("Enter a number from 1 to 100000."),
    })
    profile = principal.provider_profile
    profile.company_name = company_name
    _rename_organisation(principal, company_name)
    profile.province = province or None
    profile.city = city
    profile.description = description or ""
    profile.team_size = team_size
    profile.category_rows = [ProviderCategory(category=c) for c in categories]
    return profile


def request_verification(actor: User, registration_number: str) -> ProviderProfile:
    """A provider submits its company registration number; staff then verify or reject it."""
    principal = _profile_editor(actor, "provider")
    number = registration_numbers.normalise(registration_number)
    check({"registration_number": not registration_numbers.is_valid(number)
           and _l("Enter the 18-character unified social credit code printed on the business licence.")})
    profile = principal.provider_profile
    if profile.verification_status == "verified":
        raise Conflict(_l("Your company is already verified."), code="already_verified")
    profile.registration_number = number
    profile.verification_status = "pending"
    profile.verification_requested_at = utcnow()
    profile.verification_reason = None
    return profile


def add_case(actor: User, *, title: str, category: str, description: str, metric: str,
             before_value: str, after_value: str, client_brand: str = "") -> ShowcaseCase:
    principal = _profile_editor(actor, "provider")
    title, metric = (title or "").strip(), (metric or "").strip()
    before_value, after_value = (before_value or "").strip(), (after_value or "").strip()
    check({
        "title": _text_error(title, 1, 200),
        "category": category not in CATEGORIES and _l("Choose a category from the list."),
        "description": _text_error(description or "", 0, 5000),
        "metric": _text_error(metric, 0, 100),
        "before_value": _text_error(before_value, 0, 40),
        "after_value": _text_error(after_value, 0, 40),
        "client_brand": _text_error((client_brand or "").strip(), 0, 200),
    })
    case = ShowcaseCase(provider_id=principal.id, title=title, category=category, description=description or "",
                        metric=metric, before_value=before_value, after_value=after_value,
                        client_brand=(client_brand or "").strip())
    db.session.add(case)
    db.session.flush()
    return case


def delete_case(actor: User, case_id: int) -> None:
    principal = _profile_editor(actor, "provider")
    case = db.session.get(ShowcaseCase, case_id)
    if case is None or case.provider_id != principal.id:
        raise NotFound()
    db.session.delete(case)


# A taxpayer identification number (纳税人识别号): 15, 17, 18 or 20 letters and digits; today mostly
# the 18-character unified social credit code.
TAX_ID = re.compile(r"[0-9A-Z]{15}|[0-9A-Z]{17,18}|[0-9A-Z]{20}")


def update_brand_profile(actor: User, *, store_name: str, size_tier: str, registration_number: str | None,
                         invoice_title: str | None = None, tax_id: str | None = None) -> BrandProfile:
    """`invoice_title` and `tax_id` (what providers' invoices carry) are left as they are when None."""
    principal = _profile_editor(actor, "brand")
    store_name = (store_name or "").strip()
    number = registration_numbers.normalise(registration_number) or None
    title = None if invoice_title is None else invoice_title.strip()
    tax = None if tax_id is None else registration_numbers.normalise(tax_id)
    check({
        "store_name": _text_error(store_name, 1, 200),
        "size_tier": size_tier not in SIZE_TIERS and _l("Choose a size from the list."),
        "registration_number": number is not None and not registration_numbers.is_valid(number)
        and _l("Enter the 18-character unified social credit code printed on the business licence."),
        "invoice_title": title is not None and _text_error(title, 0, 200),
        "tax_id": bool(tax) and not TAX_ID.fullmatch(tax)
        and _l("A tax id has 15, 17, 18 or 20 letters and digits."),
    })
    profile = principal.brand_profile
    profile.store_name, profile.size_tier, profile.registration_number = store_name, size_tier, number
    if title is not None:
        profile.invoice_title = title
    if tax is not None:
        profile.tax_id = tax
    _rename_organisation(principal, store_name)
    return profile


# --- staff -----------------------------------------------------------------------------------

def verification_queue(status: str, page: int, per_page: int) -> Page:
    stmt = (select(ProviderProfile).options(selectinload(ProviderProfile.category_rows),
                                            selectinload(ProviderProfile.user))
            .order_by(ProviderProfile.verification_requested_at.asc().nulls_last(), ProviderProfile.user_id))
    if status:
        stmt = stmt.where(ProviderProfile.verification_status == status)
    return paginate(stmt, page, per_page)


def _locked_provider(provider_id: int) -> ProviderProfile:
    profile = locked_get(ProviderProfile, provider_id)
    if profile is None:
        raise NotFound()
    return profile


def verify_provider(staff: User, provider_id: int, *, checked_number: str, note: str = "") -> ProviderProfile:
    """Mark a provider verified, recording the registration number staff checked it against."""
    _require_role(staff, "admin")
    profile = _locked_provider(provider_id)
    number = registration_numbers.normalise(checked_number)
    if profile.verification_status == "verified":
        raise Conflict(_l("This provider is already verified."), code="already_verified")
    if profile.verification_status != "pending":  # staff verify an application, never a provider on their own
        raise Conflict(_l("This provider has not applied for verification."), code="not_pending")
    submitted = profile.registration_number
    check({"checked_number": (not registration_numbers.is_valid(number) and _l(
        "Enter the 18-character unified social credit code printed on the business licence."))
        or (number != submitted
            and _l("This is not the number the provider submitted (%(number)s).", number=submitted))})
    taken = db.session.scalar(select(ProviderProfile.user_id).where(
        ProviderProfile.verified_registration_number == number, ProviderProfile.user_id != profile.user_id))
    if taken is not None:  # the unique index refuses it too, should two staff verify two accounts at once
        raise Conflict(_l("Another provider is already verified with this registration number."),
                       code="registration_number_taken")
    before = _verification(profile)
    _decide(staff, profile, "verified", (note or "").strip() or None)
    profile.verified_registration_number = number
    audit.record(staff, "provider.verify", "provider", profile.user_id, before=before, after=_verification(profile),
                 reason=note, affected_user_id=profile.user_id)
    notifications.notify([profile.user_id], "provider_verified", to=destinations.PROFILE)
    return profile


def reject_provider(staff: User, provider_id: int, *, reason: str) -> ProviderProfile:
    _require_role(staff, "admin")
    profile = _locked_provider(provider_id)
    reason = (reason or "").strip()
    check({"reason": _text_error(reason, 3, 2000)})
    before = _verification(profile)
    _decide(staff, profile, "rejected", reason)
    profile.verified_registration_number = None
    audit.record(staff, "provider.reject", "provider", profile.user_id, before=before, after=_verification(profile),
                 reason=reason, affected_user_id=profile.user_id)
    notifications.notify([profile.user_id], "provider_rejected", to=destinations.PROFILE, reason=reason)
    return profile


def _verification(profile: ProviderProfile) -> dict:
    """What a verification decision changes, for the audit log (the reason is the entry's own)."""
    return {"verification_status": profile.verification_status,
            "verified_registration_number": profile.verified_registration_number}


def _decide(staff: User, profile: ProviderProfile, status: str, reason: str | None) -> None:
    profile.verification_status = status
    profile.verification_reason = reason
    profile.verification_decided_at = utcnow()
    profile.verification_decided_by_id = staff.id


def providers_in(category: str, limit: int = 200) -> list[ProviderProfile]:
    """Providers serving a category, verified first, then by name (for invitations)."""
    return list(db.session.scalars(
        select(ProviderProfile).join(ProviderCategory).where(ProviderCategory.category == category)
        .order_by((ProviderProfile.verification_status == "verified").desc(), ProviderProfile.company_name)
        .limit(limit)))
