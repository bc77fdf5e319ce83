"""Provider and brand profiles, and the provider's own verification request and showcase cases."""

from blueprints.api.presenters import case_out, provider_out, verification_out
from blueprints.api.routing import api_route, current_api_user, uploaded_file
from blueprints.api.schemas.providers import (
    AvatarOut,
    BrandProfileIn,
    CaseIn,
    ProviderOut,
    ProviderProfileIn,
    ShowcaseCaseOut,
    VerificationOut,
    VerificationRequestIn,
)
from services import directory, portfolio, profiles


@api_route("/providers/<int:provider_id>", summary="A provider's public profile", tag="Providers",
           response=ProviderOut, auth=False, errors=(404,))
def get_provider(provider_id: int):
    """Stars 3–6 (null for a new provider), the score and its four-dimension breakdown."""
    profile = profiles.get_provider(provider_id)
    return provider_out(profile, directory.latest_ratings([provider_id]).get(provider_id),
                        directory.badges_of([provider_id])[provider_id])


@api_route("/me/provider-profile", "PUT", summary="Update the caller's provider profile", tag="Providers",
           body=ProviderProfileIn, response=ProviderOut, roles=("provider",), errors=(422,))
def update_provider_profile(body: ProviderProfileIn):
    profile = profiles.update_provider_profile(current_api_user(), **body.model_dump())
    return provider_out(profile)


@api_route("/me/licence", "PUT", summary="Upload the business licence's image (multipart `file`) for verification",
           tag="Verification", response=VerificationOut, roles=("provider", "brand"), errors=(403, 409, 413, 422),
           upload=True)
def upload_licence():
    """PNG, JPEG or WebP, checked by content and cleaned; private to the account and staff. Then
    `POST /me/verification` with the code and the legal representative."""
    upload = uploaded_file()
    return verification_out(profiles.upload_licence(current_api_user(), upload.stream, upload.filename or ""))


@api_route("/me/verification", summary="The caller's verification as it stands", tag="Verification",
           response=VerificationOut, roles=("provider", "brand"), errors=(403,))
def my_verification():
    return verification_out(profiles.own_verifiable(current_api_user()))


@api_route("/me/verification", "POST", summary="Submit the company registration number for verification",
           tag="Verification", body=VerificationRequestIn, response=VerificationOut,
           roles=("provider", "brand"), errors=(403, 409, 422))
def request_verification(body: VerificationRequestIn):
    """Needs the licence image uploaded first (422 `licence` otherwise); staff compare the three."""
    return verification_out(profiles.request_verification(current_api_user(), body.registration_number,
                                                          body.legal_representative))


@api_route("/me/cases", "POST", summary="Add a showcase case", tag="Providers", body=CaseIn,
           response=ShowcaseCaseOut, status=201, roles=("provider",), errors=(422,))
def add_case(body: CaseIn):
    return case_out(profiles.add_case(current_api_user(), **body.model_dump()))


@api_route("/me/cases/<int:case_id>", "DELETE", summary="Remove a showcase case", tag="Providers",
           roles=("provider",), errors=(404,))
def delete_case(case_id: int):
    profiles.delete_case(current_api_user(), case_id)
    return {"deleted": case_id}


@api_route("/me/brand-profile", "PUT", summary="Update the caller's brand profile", tag="Brands",
           body=BrandProfileIn, roles=("brand",), errors=(422,))
def update_brand_profile(body: BrandProfileIn):
    profile = profiles.update_brand_profile(current_api_user(), **body.model_dump())
    return {"store_name": profile.store_name, "size_tier": profile.size_tier,
            "registration_number": profile.registration_number, "province": profile.province, "city": profile.city,
            "invoice_title": profile.invoice_title, "tax_id": profile.tax_id}


@api_route("/me/avatar", "PUT", summary="Set the account's avatar or logo (multipart `file`)", tag="Providers",
           response=AvatarOut, roles=("provider", "brand"), errors=(403, 413, 422), upload=True)
def set_avatar():
    """PNG, JPEG or WebP up to 10 MB, cleaned of metadata (bombs, polyglots refused); counts in the quota.
    `avatar_url` serves a 320 px thumbnail once the image job made it (the cleaned original until then)."""
    upload = uploaded_file()
    principal = portfolio.set_avatar(current_api_user(), upload.stream, upload.filename or "")
    return AvatarOut(avatar_url=f"/avatars/{principal.id}")


@api_route("/me/avatar", "DELETE", summary="Remove the account's avatar or logo", tag="Providers",
           response=AvatarOut, roles=("provider", "brand"), errors=(403,))
def remove_avatar():
    portfolio.remove_avatar(current_api_user())
    return AvatarOut(avatar_url=None)


@api_route("/me/cases/<int:case_id>/image", "PUT", summary="Set a showcase case's picture (multipart `file`)",
           tag="Providers", response=ShowcaseCaseOut, roles=("provider",), errors=(403, 404, 413, 422), upload=True)
def set_case_image(case_id: int):
    upload = uploaded_file()
    return case_out(portfolio.set_case_image(current_api_user(), case_id, upload.stream, upload.filename or ""))
