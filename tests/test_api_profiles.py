"""Provider and brand profiles and staff verification through the API."""
import pytest

from services.registration_numbers import complete
from tests.support.web import apply_for_verification

NUMBER = complete("91440300MA5000123")


@pytest.fixture
def provider(make_user):
    return make_user("provider", display_name="Guangying Studio")


def test_provider_builds_profile_and_public_sees_it(api, provider):
    me = api(provider)
    r = me.put("/me/provider-profile", json={"company_name": "Guangying Studio Ltd", "categories": ["photography",
               "video"], "province": "guangdong", "city": "广州", "team_size": 25, "description": "Model shoots"})
    assert r.status_code == 200, r.json
    r = me.post("/me/cases", json={"title": "Detail-page redesign", "category": "design", "metric": "conversion",
                                   "before_value": "0.85 %", "after_value": "3 %"})
    assert r.status_code == 201
    public = api().get(f"/providers/{provider.id}").json
    assert public["categories"] == ["photography", "video"]
    assert public["verified"] is False and public["stars"] is None
    assert public["cases"][0]["before_value"] == "0.85 %" and public["cases"][0]["after_value"] == "3 %"
    assert api().get("/providers/999999").status_code == 404


def test_profile_validation(api, provider, make_user):
    me = api(provider)
    r = me.put("/me/provider-profile", json={"company_name": "X", "categories": ["plumbing"]})
    assert r.status_code == 422 and "categories.0" in r.json["error"]["fields"]
    r = me.put("/me/provider-profile", json={"company_name": "X", "categories": ["design"], "team_size": "ten"})
    assert r.status_code == 400
    assert api(make_user("brand")).put("/me/provider-profile", json={"company_name": "X",
                                                                    "categories": ["design"]}).status_code == 403


def test_cases_belong_to_their_provider(api, provider, make_user):
    case_id = api(provider).post("/me/cases", json={"title": "A case", "category": "design"}).json["id"]
    assert api(make_user("provider")).delete(f"/me/cases/{case_id}").status_code == 404
    assert api(provider).delete(f"/me/cases/{case_id}").status_code == 200
    assert api().get(f"/providers/{provider.id}").json["cases"] == []


def test_verification_flow(api, provider, make_user):
    staff = api(make_user("admin"))
    me = api(provider)
    assert me.post("/me/verification", json={"registration_number": "91440300MA5000123X",
                                             "legal_representative": "王海"}).status_code == 422
    r = me.post("/me/verification", json={"registration_number": NUMBER, "legal_representative": "王海"})
    assert r.status_code == 422 and "licence" in r.json["error"]["fields"]  # no licence image yet
    apply_for_verification(me, NUMBER)
    assert me.get("/me").status_code == 200

    queue = staff.get("/admin/providers").json
    assert [p["id"] for p in queue["items"]] == [provider.id]
    assert me.get("/admin/providers").status_code == 403
    assert me.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER}).status_code == 403

    assert staff.post(f"/admin/providers/{provider.id}/reject", json={"reason": ""}).status_code == 422
    r = staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER})
    assert r.status_code == 200 and r.json["verified"] is True
    assert staff.post(f"/admin/providers/{provider.id}/verify", json={"checked_number": NUMBER}).status_code == 409
    assert me.post("/me/verification", json={"registration_number": NUMBER,
                                             "legal_representative": "王海"}).status_code == 409
    assert staff.post("/admin/providers/999999/verify", json={"checked_number": NUMBER}).status_code == 404


def test_brand_profile(api, make_user):
    me = api(make_user("brand"))
    r = me.put("/me/brand-profile", json={"store_name": "Hanfeng Apparel", "size_tier": "flagship"})
    assert r.status_code == 200 and r.json["size_tier"] == "flagship"
    assert me.put("/me/brand-profile", json={"store_name": "H", "size_tier": "huge"}).status_code == 422
    r = me.put("/me/brand-profile", json={"store_name": "H", "size_tier": "small", "registration_number": "123"})
    assert r.status_code == 422 and "registration_number" in r.json["error"]["fields"]
