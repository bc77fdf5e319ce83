"""Staff: the verification queue and decisions (providers and brands); reconciliation runs."""
from typing import Literal

from pydantic import Field

from blueprints.api.presenters import provider_out, verification_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.providers import (
    ProviderOut,
    ProviderPage,
    RejectIn,
    SameCodeAccount,
    VerificationOut,
    VerificationPage,
    VerificationReviewOut,
    VerifyIn,
)
from blueprints.api.schemas.reconciliation import ReconcileIn, RunOut
from blueprints.downloads import send_private_picture
from models import ProviderProfile
from services import profiles, reconciliation


class QueueQuery(PageQuery):
    status: Literal["unsubmitted", "pending", "verified", "rejected"] | None = Field("pending")


@api_route("/admin/providers", summary="Providers by verification status, oldest request first",
           tag="Staff", query=QueueQuery, response=ProviderPage, roles=("admin",), errors=(403,))
def verification_queue(query: QueueQuery):
    page = profiles.verification_queue(query.status, query.page, query.per_page)
    return ProviderPage(items=[provider_out(p) for p in page.items], page=page.page,
                        per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/admin/providers/<int:provider_id>/verify", "POST", summary="Verify a provider", tag="Staff",
           body=VerifyIn, response=ProviderOut, roles=("admin",), errors=(403, 404, 409, 422))
def verify_provider(provider_id: int, body: VerifyIn):
    return provider_out(profiles.verify_provider(current_api_user(), provider_id,
                                                 checked_number=body.checked_number, note=body.note or ""))


@api_route("/admin/providers/<int:provider_id>/reject", "POST", summary="Reject a provider with a reason",
           tag="Staff", body=RejectIn, response=ProviderOut, roles=("admin",),
           errors=(403, 404, 422))
def reject_provider(provider_id: int, body: RejectIn):
    return provider_out(profiles.reject_provider(current_api_user(), provider_id, reason=body.reason))


@api_route("/admin/brands", summary="Brands by verification status, oldest request first", tag="Staff",
           query=QueueQuery, response=VerificationPage, roles=("admin",), errors=(403,))
def brand_verification_queue(query: QueueQuery):
    page = profiles.verification_queue(query.status, query.page, query.per_page, kind="brand")
    return VerificationPage(items=[_review_out("brand", p, same_code=False) for p in page.items], page=page.page,
                            per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/admin/brands/<int:brand_id>/verify", "POST", summary="Verify a brand", tag="Staff",
           body=VerifyIn, response=VerificationOut, roles=("admin",), errors=(403, 404, 409, 422))
def verify_brand(brand_id: int, body: VerifyIn):
    return verification_out(profiles.verify(current_api_user(), "brand", brand_id,
                                            checked_number=body.checked_number, note=body.note or ""))


@api_route("/admin/brands/<int:brand_id>/reject", "POST", summary="Decline a brand's verification with a reason",
           tag="Staff", body=RejectIn, response=VerificationOut, roles=("admin",), errors=(403, 404, 422))
def reject_brand(brand_id: int, body: RejectIn):
    return verification_out(profiles.reject(current_api_user(), "brand", brand_id, reason=body.reason))


@api_route("/admin/verifications/<kind>/<int:user_id>", summary="What staff compare before deciding: the entered "
           "data, the licence image, other accounts with the same code", tag="Staff",
           response=VerificationReviewOut, roles=("admin",), errors=(403, 404))
def verification_review(kind: str, user_id: int):
    return _review_out(kind, profiles.get_verifiable(kind, user_id))


def _review_out(kind: str, profile, *, same_code: bool = True) -> VerificationReviewOut:
    return VerificationReviewOut(
        **verification_out(profile).model_dump(), id=profile.user_id, kind=kind, name=_name(profile),
        licence_url=f"/api/v1/licences/{kind}/{profile.user_id}" if profile.licence_image else None,
        same_code=[SameCodeAccount(id=other.user_id, kind=_kind(other), name=_name(other),
                                   registration_number=other.registration_number,
                                   verified_registration_number=other.verified_registration_number,
                                   verification_status=other.verification_status)
                   for other in profiles.same_code_accounts(profile)] if same_code else None)


@api_route("/licences/<kind>/<int:user_id>", summary="A business licence image: its account and staff only",
           tag="Verification", errors=(404,), download=True)
def licence_image(kind: str, user_id: int):
    return send_private_picture(profiles.licence_image_of(current_api_user(), kind, user_id))


def _kind(profile) -> str:
    return "provider" if isinstance(profile, ProviderProfile) else "brand"


def _name(profile) -> str:
    return profile.company_name if isinstance(profile, ProviderProfile) else profile.store_name


def run_out(run) -> RunOut:
    return RunOut(id=run.id, ok=run.ok, started_at=run.started_at, finished_at=run.finished_at, trigger=run.trigger,
                  started_by=run.started_by_id, since=run.since,
                  settle_minutes=None if run.settle_seconds is None else run.settle_seconds // 60,
                  checked=run.checked or {}, differences=run.differences or [])


@api_route("/admin/reconciliation/runs", "POST", summary="Run the reconciliation now and return its differences",
           tag="Staff", body=ReconcileIn, response=RunOut, status=201, roles=("admin",), errors=(400, 403, 422))
def run_reconciliation(body: ReconcileIn):
    """The same checks as the daily job, run in this request and stored with the staff member who asked;
    differences are listed, never fixed. `ok` is false when there are any."""
    return run_out(reconciliation.run_by_staff(current_api_user(), since=body.since,
                                               settle_minutes=body.settle_minutes))


@api_route("/admin/reconciliation/runs/<int:run_id>", summary="A reconciliation run and its differences",
           tag="Staff", response=RunOut, roles=("admin",), errors=(403, 404))
def reconciliation_run(run_id: int):
    return run_out(reconciliation.get_run(run_id))
