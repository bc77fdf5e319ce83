"""Verification that checks something (issue 18, item 5): providers and brands submit the business licence
image, the legal representative and the unified social credit code; staff compare them on one screen
(with every other account using the code) and can verify only a complete application, against the
number submitted; a verified code is unique among providers and among brands."""
import io

import pytest
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import BrandProfile, ProviderProfile
from services.registration_numbers import complete
from tests.support.images import photo, zip_bytes
from tests.support.web import apply_for_verification, form_post, switch

NUMBER, OTHER = complete("91310000MA1K00018"), complete("91310000MA1K00026")
EN = {"Accept-Language": "en"}


def _upload(caller, data: bytes, name: str = "licence.jpg"):
    return caller.client.put("/api/v1/me/licence", data={"file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data", headers=caller._headers(None))


def test_an_application_needs_the_licence_image_and_the_legal_representative(api, make_user, app):
    provider = make_user("provider")
    me = api(provider)
    r = me.post("/me/verification", json={"registration_number": NUMBER, "legal_representative": "王海"})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"licence"}
    r = _upload(me, zip_bytes(), "licence.zip")  # not an image, whatever it is called
    assert r.status_code == 422 and "licence" in r.json["error"]["fields"]
    r = _upload(me, b"%PDF-1.4 not really", "licence.jpg")
    assert r.status_code == 422
    assert _upload(me, photo()).json["licence_uploaded"] is True
    r = me.post("/me/verification", json={"registration_number": NUMBER, "legal_representative": " "})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"legal_representative"}
    typo = NUMBER[:-1] + ("1" if NUMBER[-1] == "0" else "0")
    r = me.post("/me/verification", json={"registration_number": typo, "legal_representative": "王海"})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"registration_number"}  # check digit
    with app.app_context():
        assert db.session.get(ProviderProfile, provider.id).verification_status == "unsubmitted"
    r = me.post("/me/verification", json={"registration_number": NUMBER, "legal_representative": " 王  海 "})
    assert r.status_code == 200 and r.json == {"verification_status": "pending", "registration_number": NUMBER,
                                               "legal_representative": "王 海", "licence_uploaded": True,
                                               "reason": None}
    assert api(make_user("admin")).put("/me/licence").status_code == 403  # staff have nothing to verify


def test_staff_cannot_verify_an_application_made_without_a_licence(api, make_user, app):
    provider, staff = make_user("provider"), api(make_user("admin"))
    with app.app_context():  # applied before licences were asked for
        profile = db.session.get(ProviderProfile, provider.id)
        profile.registration_number, profile.verification_status = NUMBER, "pending"
        db.session.commit()
    r = staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 409 and r.json["error"]["code"] == "licence_missing"
    assert staff.post(f"/admin/providers/{provider.id}/reject", json={"reason": "Send the licence"}).status_code == 200


def test_staff_compare_the_licence_the_data_and_other_accounts_with_the_code(api, make_user, app):
    provider, brand, rival = make_user("provider"), make_user("brand"), make_user("provider")
    staff = api(make_user("admin"))
    apply_for_verification(api(provider), NUMBER, "王海")
    apply_for_verification(api(brand), NUMBER, "王海")
    apply_for_verification(api(rival), OTHER)
    review = staff.get(f"/admin/verifications/provider/{provider.id}").json
    assert (review["registration_number"], review["legal_representative"]) == (NUMBER, "王海")
    assert [(a["kind"], a["id"]) for a in review["same_code"]] == [("brand", brand.id)]
    image = staff.client.get(review["licence_url"], headers=staff._headers(None))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "no-store" in image.headers["Cache-Control"]
    # the licence is the account's and staff's only
    assert api(provider).client.get(review["licence_url"], headers=api(provider)._headers(None)).status_code == 200
    assert api(rival).client.get(review["licence_url"], headers=api(rival)._headers(None)).status_code == 404
    assert staff.client.get(review["licence_url"]).status_code == 401
    assert staff.get(f"/admin/verifications/nobody/{provider.id}").status_code == 404
    assert api(provider).get(f"/admin/verifications/provider/{provider.id}").status_code == 403


def test_brands_get_the_verified_mark_and_the_code_is_unique_among_brands(api, make_user, app, client):
    first, second, staff = make_user("brand"), make_user("brand"), api(make_user("admin"))
    for brand in (first, second):
        apply_for_verification(api(brand), NUMBER)
    assert api(first).post(f"/admin/brands/{first.id}/verify", json={"checked_number": NUMBER}).status_code == 403
    r = staff.post(f"/admin/brands/{first.id}/verify", json={"checked_number": OTHER})
    assert r.status_code == 422 and NUMBER in r.json["error"]["fields"]["checked_number"]
    r = staff.post(f"/admin/brands/{first.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 200 and r.json["verification_status"] == "verified"
    queue = staff.get("/admin/brands").json["items"]
    assert [(b["id"], b["licence_uploaded"], b["same_code"]) for b in queue] == [(second.id, True, None)]
    assert api(second).get("/me/verification").json["verification_status"] == "pending"
    r = staff.post(f"/admin/brands/{second.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 409 and r.json["error"]["code"] == "registration_number_taken"
    with app.app_context():  # the database refuses it too (two staff deciding at the same moment)
        db.session.get(BrandProfile, second.id).verified_registration_number = NUMBER
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    assert staff.post("/admin/brands/999999/verify", json={"checked_number": NUMBER}).status_code == 404
    with app.app_context():
        assert db.session.get(BrandProfile, second.id).verified_registration_number is None
    assert 'class="badge verified"' in client.get(f"/brands/{first.id}").get_data(as_text=True)
    assert 'class="badge verified"' not in client.get(f"/brands/{second.id}").get_data(as_text=True)
    # a provider may hold the same code verified: the same company on the other side of the market
    provider = make_user("provider")
    apply_for_verification(api(provider), NUMBER)
    assert staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER}).status_code == 200


def test_the_web_forms_and_the_staff_screen(make_user, login, client, app):
    brand, provider = make_user("brand"), make_user("provider")
    with app.app_context():
        db.session.get(ProviderProfile, provider.id).verified_registration_number = NUMBER
        db.session.get(ProviderProfile, provider.id).verification_status = "verified"
        db.session.commit()
    login(brand)
    form = {"registration_number": NUMBER, "legal_representative": "李娜"}
    r = form_post(client, "/account/verification", form, page="/account/profile", headers=EN,
                  content_type="multipart/form-data")
    assert r.status_code == 422 and "Upload the business licence" in r.get_data(as_text=True)
    r = form_post(client, "/account/verification", {**form, "licence": (io.BytesIO(photo()), "licence.jpg")},
                  page="/account/profile", content_type="multipart/form-data")
    assert r.status_code == 302
    assert "Awaiting review" in client.get("/account/profile", headers=EN).get_data(as_text=True)

    switch(client, make_user("admin"))
    page = client.get(f"/admin/brands/{brand.id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="licence-image"' in page and "李娜" in page and NUMBER in page
    assert f"/admin/providers/{provider.id}" in page and "verified with this code" in page
    assert f"/admin/brands/{brand.id}" in client.get("/admin/brands", headers=EN).get_data(as_text=True)
    screen = f"/admin/brands/{brand.id}"
    r = form_post(client, f"{screen}/verify", {"checked_number": OTHER}, page=screen, headers=EN)
    assert r.status_code == 422 and "not the number the account submitted" in r.get_data(as_text=True)
    r = form_post(client, f"/admin/brands/{brand.id}/verify", {"checked_number": NUMBER},
                  page=f"/admin/brands/{brand.id}")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(BrandProfile, brand.id).verified_registration_number == NUMBER


def test_staff_home_counts_brands_waiting_for_verification(api, make_user):
    staff = api(make_user("admin"))
    assert "brand_verifications" not in {item["kind"] for item in staff.get("/me/todo").json}
    apply_for_verification(api(make_user("brand")), NUMBER)
    (item,) = [item for item in staff.get("/me/todo").json if item["kind"] == "brand_verifications"]
    assert item["count"] == 1 and item["url"].endswith("/admin/brands")


def test_staff_decline_a_brands_application_with_a_reason_the_brand_reads(api, make_user):
    brand, staff = make_user("brand"), api(make_user("admin"))
    apply_for_verification(api(brand), NUMBER)
    assert api(brand).post(f"/admin/brands/{brand.id}/reject", json={"reason": "Blurred"}).status_code == 403
    assert staff.post(f"/admin/brands/{brand.id}/reject", json={"reason": 1}).status_code == 400
    assert staff.post("/admin/brands/999999/reject", json={"reason": "Blurred licence"}).status_code == 404
    reason = "The licence image is blurred: send it again."
    r = staff.post(f"/admin/brands/{brand.id}/reject", json={"reason": reason})
    assert r.status_code == 200 and r.json["verification_status"] == "rejected", r.json
    mine = api(brand).get("/me/verification").json
    assert mine["verification_status"] == "rejected" and mine["reason"] == reason
    assert staff.get("/admin/brands").json["items"] == []  # out of the queue
