"""Web pages over the same services: tenders, profiles, staff verification, errors."""
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from extensions import db
from models import ApiToken, ProviderProfile, Tender
from services import tenders
from services.registration_numbers import complete
from tests.support.images import photo
from tests.support.pages import ENGLISH, assert_labels_point_at_inputs, get_html
from tests.support.web import csrf_token, form_post

VALID_NUMBER = complete("91330100MA2000001")


def tender_form(**overrides):
    deadline = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=5)
    data = {
        "title": "Photography for 30 teas", "category": "photography",
        "description": "White-background and scene shots for 30 tea products.",
        "currency": "CNY", "budget_min": "5000", "budget_max": "12000.50",
        "bid_deadline": deadline.strftime("%Y-%m-%dT%H:%M"), "rounds": ["proposal", "pitch"],
        "kpis-0-name": "delivery time", "kpis-0-target": "10", "kpis-0-unit": "days",
    }
    data.update(overrides)
    return data


def test_brand_posts_tender_through_the_form(client, login, make_user, app):
    login(make_user("brand"))
    r = form_post(client, "/tenders/new", tender_form())
    assert r.status_code == 302
    with app.app_context():
        tender = db.session.scalars(select(Tender)).one()
        assert (tender.budget_min, tender.budget_max) == (500000, 1200050)  # yuan typed, fen stored
        assert tender.rounds == ["proposal", "pitch"]
        assert [(k.name, int(k.target), k.unit) for k in tender.kpis] == [("delivery time", 10, "days")]
        # the deadline was typed in Asia/Shanghai and is stored in UTC
        typed = datetime.strptime(tender_form()["bid_deadline"], "%Y-%m-%dT%H:%M")
        assert tender.bid_deadline == typed.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    page = client.get(r.headers["Location"]).get_data(as_text=True)  # default locale zh_CN
    assert "¥5,000.00 – ¥12,000.50" in page


@pytest.mark.parametrize("overrides, message", [
    ({"budget_min": "100.123"}, "Use at most two decimal places."),
    ({"budget_max": "10"}, "The maximum must be at least the minimum."),
    ({"rounds": []}, "Choose one to three different rounds"),
    ({"kpis-0-target": ""}, "Give every named KPI a target."),
])
def test_tender_form_errors_are_shown_and_nothing_is_created(client, login, make_user, app, overrides,  # noqa: PLR0917
                                                              message):
    user = make_user("brand")
    login(user)
    with app.app_context():
        db.session.get(type(user), user.id).locale = "en"
        db.session.commit()
    r = form_post(client, "/tenders/new", tender_form(**overrides))
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Tender)).first() is None


def test_provider_cannot_open_the_tender_form(client, login, make_user):
    login(make_user("provider"))
    r = client.get("/tenders/new")
    assert r.status_code == 403
    assert "<h1>" in r.get_data(as_text=True)  # the friendly page, not a bare error


def test_search_page_finds_tender(client, login, make_user):
    login(make_user("brand"))
    form_post(client, "/tenders/new", tender_form(title="茶叶产品拍摄 tea photos"))
    html = client.get("/tenders?q=茶叶").get_data(as_text=True)
    assert "<mark>茶叶</mark>产品拍摄 tea photos" in html  # found, the word searched marked
    html = client.get("/tenders?q=nothing-like-this").get_data(as_text=True)
    assert "茶叶产品拍摄" not in html
    assert client.get("/tenders?page=abc").status_code == 200  # bad input: an empty result, not a 500


def test_owner_closes_and_cancels_from_the_page(client, login, make_user, app):
    login(make_user("brand"))
    location = form_post(client, "/tenders/new", tender_form()).headers["Location"]
    tid = int(location.rstrip("/").split("/")[-1])
    r = form_post(client, f"/tenders/{tid}/close", {}, page=f"/tenders/{tid}")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Tender, tid).status == "evaluating"
    form_post(client, f"/tenders/{tid}/cancel", {"reason": "Changed plans"}, page=f"/tenders/{tid}")
    with app.app_context():
        tender = db.session.get(Tender, tid)
        assert (tender.status, tender.cancel_reason) == ("cancelled", "Changed plans")
    # a second cancel is refused with a message, not an error page
    r = form_post(client, f"/tenders/{tid}/cancel", {}, page=f"/tenders/{tid}", follow_redirects=True)
    assert r.status_code == 200


def test_another_brand_cannot_close(client, login, make_user, app):
    login(make_user("brand"))
    location = form_post(client, "/tenders/new", tender_form()).headers["Location"]
    tid = int(location.rstrip("/").split("/")[-1])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(make_user("brand"))
    r = form_post(client, f"/tenders/{tid}/close", {}, page=f"/tenders/{tid}")
    assert r.status_code == 403
    with app.app_context():
        assert db.session.get(Tender, tid).status == "open"


def test_provider_profile_verification_and_staff_decision(client, login, make_user, app):
    provider = make_user("provider")
    login(provider)
    r = form_post(client, "/account/profile", {"company_name": "Yunke CS", "categories": ["customer_service"],
                                               "province": "zhejiang", "city": "杭州", "team_size": "180",
                                               "description": "Chat agents"})
    assert r.status_code == 302
    r = form_post(client, "/account/cases", {"title": "Apparel chat team", "category": "customer_service",
                                             "metric": "first-response time", "before_value": "59.71 s",
                                             "after_value": "24.79 s"}, page="/account/profile")
    assert r.status_code == 302
    licence = {"licence": (io.BytesIO(photo()), "licence.jpg"), "legal_representative": "王海"}
    r = form_post(client, "/account/verification", {"registration_number": "12345", **licence},
                  page="/account/profile", content_type="multipart/form-data")
    assert r.status_code == 422  # wrong shape: told on the form
    r = form_post(client, "/account/verification", {"registration_number": VALID_NUMBER.lower(),
                                                    "licence": (io.BytesIO(photo()), "licence.jpg"),
                                                    "legal_representative": "王海"},
                  page="/account/profile", content_type="multipart/form-data")
    assert r.status_code == 302
    public = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    assert "59.71 s → 24.79 s" in public

    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(make_user("admin"))
    assert "Yunke CS" in client.get("/admin/providers").get_data(as_text=True)
    r = form_post(client, f"/admin/providers/{provider.id}/verify", {"checked_number": VALID_NUMBER},
                  page=f"/admin/providers/{provider.id}")
    assert r.status_code == 302
    with app.app_context():
        profile = db.session.get(ProviderProfile, provider.id)
        assert profile.verification_status == "verified"
        assert profile.verified_registration_number == VALID_NUMBER
        assert profile.verification_decided_at is not None


def test_staff_reject_needs_a_reason(client, login, make_user, app):
    provider = make_user("provider")
    login(make_user("admin"))
    r = form_post(client, f"/admin/providers/{provider.id}/reject", {"reason": ""},
                  page=f"/admin/providers/{provider.id}")
    assert r.status_code == 422
    r = form_post(client, f"/admin/providers/{provider.id}/reject", {"reason": "Licence expired in 2024"},
                  page=f"/admin/providers/{provider.id}")
    assert r.status_code == 302
    with app.app_context():
        profile = db.session.get(ProviderProfile, provider.id)
        assert (profile.verification_status, profile.verification_reason) == ("rejected", "Licence expired in 2024")


@pytest.mark.parametrize("role", ["brand", "provider"])
def test_staff_pages_are_403_for_others(client, login, make_user, role):
    login(make_user(role))
    assert client.get("/admin/providers").status_code == 403


def test_friendly_404_page(client):
    r = client.get("/tenders/424242", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    assert "We could not find that page." in r.get_data(as_text=True)


def test_friendly_500_page(app, client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(tenders, "search_tenders", explode)
    r = client.get("/tenders", headers={"Accept-Language": "en"})
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "Something went wrong on our side" in body and "database on fire" not in body
    r = client.get("/api/v1/tenders")
    assert r.status_code == 500 and r.json["error"]["code"] == "internal_error"


def test_api_token_created_and_revoked_from_the_account_page(client, login, make_user):
    user = make_user("brand")
    login(user)
    html = form_post(client, "/account/tokens", {"name": "ERP"}, page="/account").get_data(as_text=True)
    token = html.split('data-testid="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/account").get_data(as_text=True)  # shown once only
    with client.application.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    form_post(client, f"/account/tokens/{token_id}/revoke", {}, page="/account")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_provider_profile_fields_have_distinct_ids(client, login, make_user):
    login(make_user("provider"))
    html = get_html(client, "/account/profile")
    page = assert_labels_point_at_inputs(html)
    assert page.tags.get("description") == "textarea"  # the company description
    assert page.tags.get("case-description") == "textarea"  # the showcase case's
    assert '<label for="case-description">What you did</label>' in html


def test_error_page_title_says_what_went_wrong(client, login, make_user):
    html = client.get("/no-such-page", headers=ENGLISH).get_data(as_text=True)
    assert "<title>We could not find that page · Witkey</title>" in html
    login(make_user("brand"))
    r = client.get("/contracts/999999", headers=ENGLISH)  # a NotFound from a service
    assert r.status_code == 404
    assert "<title>We could not find that page · Witkey</title>" in r.get_data(as_text=True)
    zh = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", zh).group(1)
    assert title.startswith("未找到该页面 · ")
