"""ETags, 304s and the short Redis cache of public pages (issue 21, target 5): anonymous reads only,
changed by any write to what they show, never anything personal or sealed."""
import re
from types import SimpleNamespace

import pytest

from extensions import db, get_redis
from services import public_cache
from tests.support.factories import bid_payload, tender_payload
from tests.support.queries import counting_queries
from tests.support.web import PASSWORD, finish_login, form_post

PAGES = ["/api/v1/tenders", "/tenders", "/api/v1/providers", "/providers", "/contests"]


@pytest.fixture
def brand(api, make_user):
    user = make_user("brand", display_name="Moshan Tea")
    return user, api(user)


@pytest.fixture
def tender_id(brand):
    r = brand[1].post("/tenders", json=tender_payload(title="Photography for a tea shop"))
    assert r.status_code == 201
    return r.json["id"]


def _cached_pages(app) -> list[bytes]:
    with app.app_context():
        redis = get_redis()
        return [redis.get(k) for k in redis.scan_iter("witkey:public-page:*")]


def _statements(app, call):
    with app.app_context():
        engine = db.engine
    with counting_queries(engine) as statements:
        response = call()
    return response, statements


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/tenders/{tender}", "/tenders/{tender}"])
def test_anonymous_repeat_is_a_304(app, tender_id, path, monkeypatch):
    # the middle of a time window: two requests that straddle its end would rightly get different ETags
    middle = (public_cache.time.time() // public_cache.WINDOW + 0.5) * public_cache.WINDOW
    monkeypatch.setattr(public_cache, "time", SimpleNamespace(time=lambda: middle))
    client = app.test_client()
    url = path.format(tender=tender_id)
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    assert "Cookie" in first.headers["Vary"] and "Authorization" in first.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag and not again.data


def test_second_anonymous_read_comes_from_redis_without_sql(app, tender_id):
    client = app.test_client()
    first = client.get("/api/v1/tenders")
    again, statements = _statements(app, lambda: client.get("/api/v1/tenders"))
    assert again.status_code == 200 and again.json == first.json
    assert statements == []
    revalidate = {"If-None-Match": first.headers["ETag"]}
    _, statements = _statements(app, lambda: client.get("/api/v1/tenders", headers=revalidate))
    assert statements == []


def test_a_write_changes_the_etag_and_the_cached_page(app, api, brand, tender_id, make_user):
    client = app.test_client()
    lists = {path: client.get(path) for path in ("/api/v1/tenders", "/tenders", f"/api/v1/tenders/{tender_id}")}
    assert lists["/api/v1/tenders"].json["items"][0]["bid_count"] == 0
    provider = api(make_user("provider"))
    assert provider.post(f"/tenders/{tender_id}/bids", json=bid_payload()).status_code == 201  # the bid count
    for path, before in lists.items():
        after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"], path
    assert client.get("/api/v1/tenders").json["items"][0]["bid_count"] == 1
    r = brand[1].post("/tenders", json=tender_payload(title="A second tender"))  # a new tender shows at once
    assert client.get("/api/v1/tenders").json["total"] == 2
    assert "A second tender" in client.get("/tenders").get_data(as_text=True)
    assert r.status_code == 201


def test_provider_pages_change_when_the_profile_does(app, api, make_user):
    user = make_user("provider")
    me = api(user)
    profile = {"company_name": "Guangying", "categories": ["design"]}
    assert me.put("/me/provider-profile", json=profile).status_code == 200
    client = app.test_client()
    before = {p: client.get(p) for p in (f"/api/v1/providers/{user.id}", "/api/v1/providers")}
    assert me.put("/me/provider-profile", json={"company_name": "Guangying Studio",
                                                "categories": ["design"]}).status_code == 200
    for path, response in before.items():
        after = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert after.status_code == 200 and "Guangying Studio" in after.get_data(as_text=True), path


def test_the_etag_changes_with_the_time_window(app, tender_id, monkeypatch):
    client = app.test_client()
    first = client.get("/api/v1/tenders")
    later = public_cache.time.time() + public_cache.WINDOW
    monkeypatch.setattr(public_cache.time, "time", lambda: later)
    again = client.get("/api/v1/tenders", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_a_cached_page_carries_the_visitors_own_form_token(app, tender_id):
    first = app.test_client()
    first.get("/tenders")
    other = app.test_client()
    page = other.get("/tenders")  # from the cache
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = other.post("/lang/en", data={"csrf_token": token, "next": "/tenders"})
    assert r.status_code == 302  # a token of its own session: accepted


def test_signed_in_pages_are_never_cached_nor_served_from_the_cache(app, api, brand, tender_id):
    user, brand_api = brand
    anonymous = app.test_client()
    etags = {p: anonymous.get(p.format(tender=tender_id)).headers["ETag"]
             for p in ("/tenders", "/tenders/{tender}", "/api/v1/tenders")}
    stored = len(_cached_pages(app))
    web = app.test_client()
    assert finish_login(web, form_post(web, "/login", {"email": user.email, "password": PASSWORD}),
                        user.email).status_code == 302
    for path, etag in etags.items():
        url = path.format(tender=tender_id)
        if url.startswith("/api/"):
            r = brand_api.get(url[len("/api/v1"):], headers={"If-None-Match": etag})
        else:
            r = web.get(url, headers={"If-None-Match": etag})
            assert "Moshan Tea" in r.get_data(as_text=True)  # their own page, not the anonymous one
        assert r.status_code == 200 and "ETag" not in r.headers, url
        assert "no-store" in r.headers["Cache-Control"], url
    assert len(_cached_pages(app)) == stored


def test_sealed_bid_counts_never_reach_the_cache(app, api, brand, make_user):
    user, brand_api = brand
    sealed = brand_api.post("/tenders", json=tender_payload(sealed=True)).json["id"]
    provider = api(make_user("provider"))
    assert provider.post(f"/tenders/{sealed}/bids", json=bid_payload()).status_code == 201
    assert brand_api.get(f"/tenders/{sealed}").json["bid_count"] == 1  # its brand sees the count
    assert [t["bid_count"] for t in brand_api.get("/tenders").json["items"]] == [1]
    anonymous = app.test_client()
    for _ in range(2):
        assert anonymous.get(f"/api/v1/tenders/{sealed}").json["bid_count"] is None
        assert anonymous.get("/api/v1/tenders").json["items"][0]["bid_count"] is None
    pages = _cached_pages(app)
    assert pages and not any(b'"bid_count":1' in page for page in pages)


def test_without_redis_pages_are_rendered_each_time(app, tender_id, redis_down):
    client = app.test_client()
    with redis_down():
        for path in ("/api/v1/tenders", "/tenders"):
            r = client.get(path)
            assert r.status_code == 200 and "ETag" not in r.headers


def test_the_api_document_says_which_reads_answer_304(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/tenders", "/tenders/{tender_id}", "/providers", "/providers/{provider_id}",
                 "/contests/{contest_id}"):
        get = paths[path]["get"]
        assert "304" in get["responses"], path
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in get["parameters"]), path
    assert "304" not in paths["/conversations"]["get"]["responses"]  # personal: never


def test_a_message_waiting_for_the_visitor_is_theirs_alone(app, tender_id):
    en = {"Accept-Language": "en"}
    warm = app.test_client()
    warm.get("/tenders", headers=en)  # the hall is in the cache now
    visitor = app.test_client()
    assert visitor.get("/wallet", headers=en).status_code == 302  # "Please log in…" waits in the session
    page = visitor.get("/tenders", headers=en)
    assert "Please log in to see this page." in page.get_data(as_text=True) and "ETag" not in page.headers
    for client in (warm, app.test_client()):
        assert "Please log in" not in client.get("/tenders", headers=en).get_data(as_text=True)
