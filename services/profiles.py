"""Provider and brand profiles, showcase cases, and staff verification of providers and brands."""
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models import BrandProfile, ProviderCategory, ProviderProfile, ShowcaseCase, Upload, User
from models.catalog import CATEGORIES, PROVINCES, SIZE_TIERS
from models.types import utcnow
from services import audit, destinations, notifications, permissions, registration_numbers, storage
from services.errors import Conflict, Forbidden, Invalid, NotFound, check
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


def get_brand(brand_id: int) -> BrandProfile:
    """A brand's public profile; a suspended brand's page is gone, as its tenders are."""
    profile = db.session.get(BrandProfile, brand_id)
    if profile is None or profile.user.suspended_at is not None:
        raise NotFound()
    return profile


def get_provider(provider_id: int) -> ProviderProfile:
    """The profile with its account and categories (a handful: joined, in the same statement) and its
    showcase cases (one more statement)."""
    profile = db.session.execute(
        select(ProviderProfile)
        .where(ProviderProfile.user_id == provider_id)
        .options(joinedload(ProviderProfile.user), joinedload(ProviderProfile.category_rows),
                 selectinload(ProviderProfile.cases))
    ).unique().scalar_one_or_none()
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


KINDS = {"provider": ProviderProfile, "brand": BrandProfile}  # the accounts that can be verified
LICENCE_FOLDER = "licences"  # private: shown to the account and staff only (licence_image_of)


def _verifiable(actor: User):
    """The profile of `actor`'s organisation that asks to be verified (a provider's, or a brand's)."""
    if actor is None or not (actor.is_provider or actor.is_brand):
        raise Forbidden()
    principal = _profile_editor(actor, actor.role)
    return principal.provider_profile if actor.is_provider else principal.brand_profile


def own_verifiable(actor: User):
    """The profile whose verification `actor`'s organisation sees (any member may read it)."""
    if actor is None or not (actor.is_provider or actor.is_brand):
        raise Forbidden()
    principal = permissions.principal_of(actor)
    return principal.provider_profile if actor.is_provider else principal.brand_profile


def upload_licence(actor: User, stream, filename: str):
    """Store the business licence's image for the next verification request (the upload pipeline
    checks it by content and cleans it). A verified account keeps the image it was verified on."""
    profile = _verifiable(actor)
    if profile.verified:
        raise Conflict(_l("Your company is already verified."), code="already_verified")
    stored = storage.save(stream, filename, f"{LICENCE_FOLDER}/{profile.user_id}", actor.id)
    if not stored.content_type.startswith("image/"):
        raise Invalid(fields={"licence": _l("Upload a photo or scan of the business licence: PNG, JPEG or WebP.")})
    profile.licence_image = stored.stored_name
    return profile


def request_verification(actor: User, registration_number: str, legal_representative: str = "",
                         licence=None):
    """An account submits its unified social credit code, the legal representative printed on the
    licence and the licence's image (`licence`: (stream, filename), or uploaded before); staff then
    compare them and verify or reject."""
    profile = _verifiable(actor)
    if profile.verified:
        raise Conflict(_l("Your company is already verified."), code="already_verified")
    number = registration_numbers.normalise(registration_number)
    representative = " ".join((legal_representative or "").split())
    check({"registration_number": not registration_numbers.is_valid(number)
           and _l("Enter the 18-character unified social credit code printed on the business licence."),
           "legal_representative": _text_error(representative, 2, 100)})
    if licence is not None:
        upload_licence(actor, *licence)
    check({"licence": not profile.licence_image and _l("Upload the business licence's image.")})
    profile.registration_number = number
    profile.legal_representative = representative
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
                         province: str | None = None, city: str | None = None,
                         invoice_title: str | None = None, tax_id: str | None = None) -> BrandProfile:
    """`invoice_title` and `tax_id` (what providers' invoices carry) are left as they are when None."""
    principal = _profile_editor(actor, "brand")
    store_name = (store_name or "").strip()
    number = registration_numbers.normalise(registration_number) or None
    city = (city or "").strip() or None
    title = None if invoice_title is None else invoice_title.strip()
    tax = None if tax_id is None else registration_numbers.normalise(tax_id)
    check({
        "province": province not in (None, "", *PROVINCES) and _l("Choose a province from the list."),
        "city": city is not None and _text_error(city, 1, 64),
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
    profile.province, profile.city = province or None, city
    if title is not None:
        profile.invoice_title = title
    if tax is not None:
        profile.tax_id = tax
    _rename_organisation(principal, store_name)
    return profile


# --- staff -----------------------------------------------------------------------------------

def verification_queue(status: str, page: int, per_page: int, kind: str = "provider") -> Page:
    model = KINDS[kind]
    stmt = (select(model).options(selectinload(model.user))
            .order_by(model.verification_requested_at.asc().nulls_last(), model.user_id))
    if kind == "provider":
        stmt = stmt.options(selectinload(ProviderProfile.category_rows))
    if status:
        stmt = stmt.where(model.verification_status == status)
    return paginate(stmt, page, per_page)


def get_verifiable(kind: str, user_id: int):
    """The provider's or brand's profile (staff's verification screen), or NotFound."""
    profile = db.session.get(KINDS[kind], user_id) if kind in KINDS else None
    if profile is None:
        raise NotFound()
    return profile


def same_code_accounts(profile) -> list:
    """Every other provider or brand profile that submitted or was verified with the number `profile`
    submitted (for staff comparing them on one screen)."""
    number = profile.registration_number
    if not number:
        return []
    found = []
    for model in KINDS.values():
        found += db.session.scalars(select(model).where(
            (model.registration_number == number) | (model.verified_registration_number == number),
            model.user_id != profile.user_id).order_by(model.user_id)).all()
    return found


def licence_image_of(viewer: User, kind: str, user_id: int):
    """The stored licence image, for staff and the account's own members only (NotFound otherwise)."""
    profile = get_verifiable(kind, user_id)
    own = viewer is not None and viewer.account_id == profile.user_id
    if viewer is None or not (viewer.is_admin or own) or not profile.licence_image:
        raise NotFound()
    return db.session.scalar(select(Upload).where(Upload.stored_name == profile.licence_image))


def verify_provider(staff: User, provider_id: int, *, checked_number: str, note: str = "") -> ProviderProfile:
    return verify(staff, "provider", provider_id, checked_number=checked_number, note=note)


def reject_provider(staff: User, provider_id: int, *, reason: str) -> ProviderProfile:
    return reject(staff, "provider", provider_id, reason=reason)


def verify(staff: User, kind: str, user_id: int, *, checked_number: str, note: str = ""):
    """Mark a provider or brand verified, recording the registration number staff checked it against:
    only an application that was made, with its licence image and legal representative, and only
    against the number it submitted."""
    _require_role(staff, "admin")
    profile = locked_get(KINDS[kind], user_id) if kind in KINDS else None
    if profile is None:
        raise NotFound()
    number = registration_numbers.normalise(checked_number)
    if profile.verification_status == "verified":
        raise Conflict(_l("This account is already verified."), code="already_verified")
    if profile.verification_status != "pending":  # staff verify an application, never an account on their own
        raise Conflict(_l("This account has not applied for verification."), code="not_pending")
    if not (profile.licence_image and profile.legal_representative):  # applied before licences were asked for
        raise Conflict(_l("The application has no business licence image or legal representative: reject it "
                          "so the account submits them."), code="licence_missing")
    submitted = profile.registration_number
    check({"checked_number": (not registration_numbers.is_valid(number) and _l(
        "Enter the 18-character unified social credit code printed on the business licence."))
        or (number != submitted
            and _l("This is not the number the account submitted (%(number)s).", number=submitted))})
    model = KINDS[kind]
    taken = db.session.scalar(select(model.user_id).where(
        model.verified_registration_number == number, model.user_id != profile.user_id))
    if taken is not None:  # the unique index refuses it too, should two staff verify two accounts at once
        raise Conflict(_l("Another account is already verified with this registration number."),
                       code="registration_number_taken")
    before = _verification(profile)
    _decide(staff, profile, "verified", (note or "").strip() or None)
    profile.verified_registration_number = number
    _audit(staff, "provider.verify" if kind == "provider" else "brand.verify", kind, profile, before, reason=note)
    notifications.notify([profile.user_id], "provider_verified", to=destinations.PROFILE)
    return profile


def reject(staff: User, kind: str, user_id: int, *, reason: str):
    _require_role(staff, "admin")
    profile = locked_get(KINDS[kind], user_id) if kind in KINDS else None
    if profile is None:
        raise NotFound()
    reason = (reason or "").strip()
    check({"reason": _text_error(reason, 3, 2000)})
    before = _verification(profile)
    _decide(staff, profile, "rejected", reason)
    profile.verified_registration_number = None
    _audit(staff, "provider.reject" if kind == "provider" else "brand.reject", kind, profile, before, reason=reason)
    notifications.notify([profile.user_id], "provider_rejected", to=destinations.PROFILE, reason=reason)
    return profile


def _audit(staff: User, action: str, kind: str, profile, before: dict, *, reason: str) -> None:
    audit.record(staff, action, kind, profile.user_id, before=before, after=_verification(profile), reason=reason,
                 affected_user_id=profile.user_id)


def _verification(profile) -> dict:
    """What a verification decision changes, for the audit log (the reason is the entry's own)."""
    return {"verification_status": profile.verification_status,
            "verified_registration_number": profile.verified_registration_number}


def _decide(staff: User, profile, status: str, reason: str | None) -> None:
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
