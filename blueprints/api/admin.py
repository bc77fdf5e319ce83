"""Staff: the provider verification queue and decisions."""
from typing import Literal

from pydantic import Field

from blueprints.api.presenters import provider_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.providers import ProviderOut, ProviderPage, RejectIn, VerifyIn
from services import profiles


class QueueQuery(PageQuery):
    status: Literal["unsubmitted", "pending", "verified", "rejected"] | None = Field("pending")


@api_route("/admin/providers", summary="Providers by verification status, oldest request first",
           tag="Staff", query=QueueQuery, response=ProviderPage, roles=("admin",), errors=(403,))
def verification_queue(query: QueueQuery):
    page = profiles.verification_queue(query.status, query.page, query.per_page)
    return ProviderPage(items=[provider_out(p) for p in page.items], page=page.page,
                        per_page=page.per_page, total=page.total)


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
