"""The web benchmark's parts at a tiny size (bench/web.py needs wrk and minutes; these need neither): the COPY
seeding, the fixture made through the app, and the bare baseline answering with the same tenders as the real
API and pages, so the comparison it prints stays a comparison of the same work."""
import re

import pytest
from sqlalchemy import func, select, text

from bench import web_bare, web_seed
from extensions import db
from models import Bid, Message, Tender, UsageRecord, User

pytestmark = pytest.mark.postgres  # COPY, and the baseline speaks psycopg to PostgreSQL


@pytest.fixture
def seeded(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    shape = web_seed.Shape(50, bidders=3)
    with app.app_context():  # the provider documents name categories in both languages
        web_seed.seed(url, shape)
    fx = web_seed.fixture(app, shape)
    return shape, fx, app.test_client(), web_bare.create_app(url).test_client()


def _ids(html: str) -> list[int]:
    seen = []
    for found in re.findall(r'href="/tenders/(\d+)"', html):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


def test_seeding_writes_the_shape(app, seeded):
    shape, fx, _, _ = seeded
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tender)) == 50 + 1  # + the metered one
        assert db.session.scalar(select(func.count()).select_from(Bid)) == 5 * 50 + 1
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == "provider")) == (
            shape.providers + shape.bidders)
    assert fx.conversation_id and fx.milestone_id and len(fx.bidder_tokens) == 3


def test_the_baseline_lists_the_same_tenders_as_the_api(seeded):
    _, fx, witkey, bare = seeded
    for query in ("", "?category=design", "?page=2", "?q=photography", "?q=摄影", "?q=客服"):
        w, b = witkey.get(f"/api/v1/tenders{query}"), bare.get(f"/api/v1/tenders{query}")
        assert w.status_code == b.status_code == 200, query
        assert [t["id"] for t in w.json["items"]] == [t["id"] for t in b.json["items"]], query
        assert [t["bid_count"] for t in w.json["items"]] == [t["bid_count"] for t in b.json["items"]], query
        assert w.json["total"] == b.json["total"] > 0, query
    w, b = witkey.get(f"/api/v1/tenders/{fx.tender_id}").json, bare.get(f"/api/v1/tenders/{fx.tender_id}").json
    assert (w["id"], w["title"], w["bid_count"], w["brand"]["id"]) == (b["id"], b["title"], b["bid_count"],
                                                                         b["brand"]["id"])


def test_the_baseline_pages_show_the_same_data(seeded):
    _, fx, witkey, bare = seeded
    w, b = witkey.get("/tenders"), bare.get("/tenders")
    assert w.status_code == b.status_code == 200
    assert _ids(w.get_data(as_text=True))[:20] == _ids(b.get_data(as_text=True))[:20]
    tender = bare.get(f"/api/v1/tenders/{fx.tender_id}").json["title"]
    assert tender in witkey.get(f"/tenders/{fx.tender_id}").get_data(as_text=True)
    assert tender in bare.get(f"/tenders/{fx.tender_id}").get_data(as_text=True)
    for path in ("/providers", f"/providers/{fx.provider_id}"):
        w, b = witkey.get(path), bare.get(path)
        assert w.status_code == b.status_code == 200, path
    company = f"服务商公司 {fx.provider_id}"
    assert company in witkey.get(f"/providers/{fx.provider_id}").get_data(as_text=True)
    assert company in bare.get(f"/providers/{fx.provider_id}").get_data(as_text=True)


def test_the_bench_user_is_signed_in_on_both_sides(seeded):
    _, fx, witkey, bare = seeded
    token = {"Authorization": f"Bearer {fx.brand_token}"}
    w = witkey.get("/api/v1/conversations", headers=token)
    b = bare.get("/api/v1/conversations", headers={"X-Bench-User": str(fx.brand_id)})
    assert w.status_code == b.status_code == 200
    assert [c["id"] for c in w.json["items"]] == [c["id"] for c in b.json["items"]]
    assert fx.conversation_id in [c["id"] for c in b.json["items"]]
    name, _, value = fx.brand_cookie.partition("=")
    witkey.set_cookie(name, value, domain="witkey.test")
    home = witkey.get("/")
    assert home.status_code == 200 and 'action="/logout"' in home.get_data(as_text=True)


def test_a_reused_fixtures_cookie_is_signed_again_for_the_new_secret_key(app, seeded):
    """--reuse starts the app with a new instance folder, so a new secret key: signed again, the kept cookie
    still signs the brand in (the brand's home would otherwise be measured signed out)."""
    _, fx, _, _ = seeded
    original = app.secret_key
    app.secret_key = "another run's key"  # noqa: S105 (a test value)
    try:
        for cookie, signed_in in ((fx.brand_cookie, False), (web_seed.resign_cookie(app, fx.brand_cookie), True)):
            client = app.test_client()
            name, _, value = cookie.partition("=")
            client.set_cookie(name, value, domain="witkey.test")
            home = client.get("/")
            assert home.status_code == 200
            assert ('action="/logout"' in home.get_data(as_text=True)) is signed_in
    finally:
        app.secret_key = original


def test_the_baseline_writes_what_the_app_writes(app, seeded):
    from bench.web import BID_BODY  # noqa: PLC0415

    _, fx, witkey, bare = seeded
    _read_every_notice(app)  # each side then starts with no unread notice of the thread, so both insert one
    before = _counts(app)
    bidder = {"Authorization": f"Bearer {fx.bidder_tokens[0]}"}
    assert witkey.post("/api/v1/tenders/1/bids", json=BID_BODY, headers=bidder).status_code == 201
    brand = {"Authorization": f"Bearer {fx.brand_token}"}
    assert witkey.post(f"/api/v1/conversations/{fx.conversation_id}/messages", json={"body": "好的"},
                       headers=brand).status_code == 201
    assert witkey.post(f"/api/v1/milestones/{fx.milestone_id}/usage", json={"quantity": 1},
                       headers=brand).status_code == 201
    after_witkey = _counts(app)
    _read_every_notice(app)  # (a thread's unread notice is updated by the next message, not doubled)
    assert bare.post("/api/v1/tenders/2/bids", json=BID_BODY,
                     headers={"X-Bench-User": str(fx.bidder_ids[0])}).status_code == 201
    assert bare.post(f"/api/v1/conversations/{fx.conversation_id}/messages", json={"body": "好的"},
                     headers={"X-Bench-User": str(fx.brand_id)}).status_code == 201
    assert bare.post(f"/api/v1/milestones/{fx.milestone_id}/usage", json={"quantity": 1},
                     headers={"X-Bench-User": str(fx.brand_id)}).status_code == 201
    after_bare = _counts(app)
    # the same rows, table by table (the bare side's first read mark is an insert too)
    assert {t: after_witkey[t] - before[t] for t in before} == {t: after_bare[t] - after_witkey[t] for t in before}


def _read_every_notice(app) -> None:
    with app.app_context():
        db.session.execute(text("UPDATE notifications SET read_at = CURRENT_TIMESTAMP WHERE read_at IS NULL"))
        db.session.commit()


def _counts(app) -> dict:
    tables = ("bids", "bid_milestones", "bid_revisions", "messages", "usage_records", "notifications",
              "webhook_events")
    with app.app_context():
        counts = {t: db.session.scalar(select(func.count()).select_from(db.metadata.tables[t])) for t in tables}
        counts["bids"] = db.session.scalar(select(func.count()).select_from(Bid))
        counts["messages"] = db.session.scalar(select(func.count()).select_from(Message))
        counts["usage_records"] = db.session.scalar(select(func.count()).select_from(UsageRecord))
        db.session.rollback()
    return counts
