"""Verification is tied to one company (issue 14, finding 8): staff verify only an application that
was made, only against the number it submitted, and one registration number is verified for one
account at most — in the service and in the database."""
import pytest
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import ProviderProfile
from services.registration_numbers import complete
from tests.support.web import apply_for_verification, form_post

NUMBER, OTHER = complete("91440300MA5000123"), complete("91440300MA5000456")
EN = {"Accept-Language": "en"}


def test_staff_cannot_verify_a_provider_that_never_applied(api, make_user, app):
    provider, staff = make_user("provider"), api(make_user("admin"))
    r = staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_pending"
    with app.app_context():
        profile = db.session.get(ProviderProfile, provider.id)
        assert (profile.verification_status, profile.verified_registration_number) == ("unsubmitted", None)


def test_staff_verify_only_the_number_that_was_submitted(api, make_user, app):
    provider, staff = make_user("provider"), api(make_user("admin"))
    apply_for_verification(api(provider), NUMBER)
    r = staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": OTHER}, headers=EN)
    assert r.status_code == 422 and NUMBER in r.json["error"]["fields"]["checked_number"]
    r = staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER.lower()})
    assert r.status_code == 200 and r.json["verified"] is True


def test_one_registration_number_is_verified_for_one_account(api, make_user, app):
    first, second, staff = make_user("provider"), make_user("provider"), api(make_user("admin"))
    for provider in (first, second):
        apply_for_verification(api(provider), NUMBER)
    assert staff.post(f"/admin/providers/{first.id}/verify", json={"checked_number": NUMBER}).status_code == 200
    r = staff.post(f"/admin/providers/{second.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 409 and r.json["error"]["code"] == "registration_number_taken"
    with app.app_context():  # the database refuses it too (two staff deciding at the same moment)
        db.session.get(ProviderProfile, second.id).verified_registration_number = NUMBER
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    # rejecting the first frees the number for the second
    assert staff.post(f"/admin/providers/{first.id}/reject", json={"reason": "Wrong company"}).status_code == 200
    assert staff.post(f"/admin/providers/{second.id}/verify", json={"checked_number": NUMBER}).status_code == 200


def test_the_admin_page_says_why_it_refused(api, make_user, login):
    provider = make_user("provider")
    apply_for_verification(api(provider), NUMBER)
    client = login(make_user("admin"))
    page = f"/admin/providers/{provider.id}"
    r = form_post(client, f"{page}/verify", {"checked_number": OTHER}, page=page, headers=EN)
    assert r.status_code == 422 and "not the number the account submitted" in r.get_data(as_text=True)
