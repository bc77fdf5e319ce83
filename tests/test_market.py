"""Market insight (issue 20, item 3): the province service-ecosystem index on a hand-computed fixture,
cells with fewer than five contracts suppressed everywhere they leave (API, page, CSV), the nightly
job's snapshots, and a brand's "how my tender compares"."""
import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from extensions import db
from models import BrandProfile, MarketSnapshot, User
from services import market as insight
from services.market import ProvinceTerms, ecosystem_index
from tests.support.factories import bid_payload, tender_payload
from tests.support.pages import ENGLISH
from tests.support.web import form_post, signed_in
from workers import jobs, schedule


def test_the_index_of_a_hand_computed_fixture():
    # d = providers per 100 brands (no brand counts as one); p = Σ score × paid ÷ Σ paid; m = paying per 100 brands
    terms = [ProvinceTerms("zhejiang", providers=6, brands=3, paying_brands=2, weighted_score=80 * 500, paid=500),
             ProvinceTerms("anhui", providers=1, brands=4, paying_brands=4, weighted_score=60 * 100, paid=100),
             ProvinceTerms("fujian", providers=2, brands=0, paying_brands=0, weighted_score=0, paid=0)]
    rows = {r["province"]: r for r in ecosystem_index(terms)}
    assert (rows["zhejiang"]["provider_density"], rows["anhui"]["provider_density"],
            rows["fujian"]["provider_density"]) == (200, 25, 200)
    assert [rows[p]["market_performance"] for p in ("zhejiang", "anhui", "fujian")] == [80, 60, 0]
    assert [rows[p]["paying_density"] for p in ("zhejiang", "anhui", "fujian")] == [66.67, 100, 0]
    # d′: 1, 0, 1 · p′: 1, 0.75, 0 · m′: 2/3, 1, 0
    # zhejiang (0.3 + 0.4 + 0.2) × 100 = 90; anhui (0 + 0.3 + 0.3) × 100 = 60; fujian 0.3 × 100 = 30
    assert [(r["province"], r["index"]) for r in ecosystem_index(terms)] == [
        ("zhejiang", 90.0), ("anhui", 60.0), ("fujian", 30.0)]


def test_a_term_every_province_shares_sets_none_apart():
    terms = [ProvinceTerms("a", 1, 1, 1, 0, 0), ProvinceTerms("b", 1, 1, 0, 0, 0)]
    assert [(r["province"], r["index"]) for r in ecosystem_index(terms)] == [("a", 30.0), ("b", 0.0)]


def _place(app, user_id: int, province: str, city: str | None = None, score: str | None = None):
    with app.app_context():
        user = db.session.get(User, user_id)
        profile = user.brand_profile or user.provider_profile
        profile.province, profile.city = province, city
        if score is not None:
            profile.rating_score = Decimal(score)
        db.session.commit()


def test_the_index_is_gathered_from_providers_brands_and_what_was_paid(app, track_record, make_user):
    # zhejiang: one brand (paying), two providers paid 5 × ¥100,000 (score 80) and 1 × ¥300,000 (score 50)
    _, first, done = track_record(5, amount=100000_00)
    _, second, other = track_record(1, amount=300000_00)
    brand_id = done[0][0].get("/me").json["id"]
    _place(app, brand_id, "zhejiang", "杭州")
    _place(app, other[0][0].get("/me").json["id"], None)
    _place(app, first, "zhejiang", "杭州", score="80")
    _place(app, second, "zhejiang", "宁波", score="50")
    # anhui: two registered brands that never paid, two providers (one rated, never paid)
    for _ in range(2):
        _place(app, make_user("brand").id, "anhui")
    _place(app, make_user("provider").id, "anhui", score="60")
    _place(app, make_user("provider").id, "anhui")
    with app.app_context():
        rows = {r["province"]: r for r in insight.compute()["provinces"]}
    assert set(rows) == {"zhejiang", "anhui"}
    assert rows["zhejiang"]["provider_density"] == 200 and rows["anhui"]["provider_density"] == 100
    assert rows["zhejiang"]["market_performance"] == 68.75  # (80 × 500,000 + 50 × 300,000) ÷ 800,000
    assert rows["anhui"]["market_performance"] == 0
    assert rows["zhejiang"]["paying_density"] == 100 and rows["anhui"]["paying_density"] == 0
    assert rows["zhejiang"]["index"] == 100.0 and rows["anhui"]["index"] == 0.0
    assert rows["zhejiang"]["brands"] == 1 and rows["anhui"]["brands"] == 2


def test_cells_under_five_contracts_show_no_amount_anywhere(app, client, track_record):
    _, provider, done = track_record(4, amount=100000_00)
    with app.app_context():
        row = next(r for r in insight.compute()["categories"] if r["category"] == "customer_service")
    assert row["awarded_contracts"] == 4
    assert row["awarded_volume"] is None and row["median_awarded_amount"] is None
    assert row["median_days_to_award"] is None and row["median_bids"] is None
    api_row = next(r for r in client.get("/api/v1/market/categories").json if r["category"] == "customer_service")
    assert api_row["awarded_contracts"] == 4 and api_row["awarded_volume"] is None
    page = client.get("/market").get_data(as_text=True)
    assert "400,000.00" not in page and "100,000.00" not in page
    rows = list(csv.reader(io.StringIO(client.get("/market/categories.csv").get_data(as_text=True).lstrip("\ufeff"))))
    service = next(r for r in rows if r[0] in ("Customer service", "客服外包"))
    assert service[1:4] == ["0", "4", ""]  # open tenders, awarded, volume withheld

    track_record(1, amount=100000_00, provider=None)  # the fifth contract in the category
    with app.app_context():
        row = next(r for r in insight.compute()["categories"] if r["category"] == "customer_service")
    assert row["awarded_contracts"] == 5 and row["awarded_volume"] == 5 * 100000_00
    assert row["median_awarded_amount"] == 100000_00 and row["median_bids"] == 1
    assert 0 <= row["median_days_to_award"] < 1


def test_the_nightly_job_stores_snapshots_that_pages_and_api_read(app, client, make_user, monkeypatch):
    assert "recompute-market" in {name for name, *_ in schedule.CRON}
    assert app.config["MARKET_CRON"] == "0 19 * * *"  # after the ratings it weighs (18:00 UTC)
    brand = make_user("brand")
    _place(app, brand.id, "jiangsu", "苏州")
    with app.app_context():
        jobs.recompute_market()
    _place(app, make_user("brand").id, "jiangsu")  # after the run: not in the snapshot yet
    provinces = client.get("/api/v1/market/provinces").json
    assert [(r["province"], r["brands"]) for r in provinces] == [("jiangsu", 1)]
    assert set(provinces[0]) >= {"province", "provider_density", "market_performance", "paying_density", "index"}
    monkeypatch.setattr(insight, "KEEP_SNAPSHOTS", 2)
    with app.app_context():
        for _ in range(2):
            jobs.recompute_market()
        assert db.session.scalar(select(func.count()).select_from(MarketSnapshot)) == 2
    assert client.get("/api/v1/market/provinces").json[0]["brands"] == 2
    whole = client.get("/api/v1/market").json
    assert whole["min_contracts"] == insight.MIN_CONTRACTS and len(whole["months"]) == insight.MONTHS


def test_the_market_page_explains_the_index_and_exports_csv(app, client, make_user):
    _place(app, make_user("brand").id, "zhejiang", "杭州")
    _place(app, make_user("provider").id, "zhejiang", "杭州", score="70")
    _place(app, make_user("brand").id, "anhui")  # zhejiang: d = 100, anhui: d = 0; nobody paid or was paid
    page = client.get("/market")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="index-chart"' in text and 'id="province-zhejiang"' in text
    assert "(0.3 × d′ + 0.4 × p′ + 0.3 × m′) × 100" in text  # formatted from market.WEIGHTS
    body = client.get("/market/provinces.csv")
    assert body.mimetype == "text/csv" and body.get_data(as_text=True).startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] in ("Province", "省份") and len(rows) == 3
    assert [(r[0], r[1]) for r in rows[1:]] == [("浙江", "30.0"), ("安徽", "0.0")]  # 0.3 × d′ only


@pytest.fixture
def category_history(track_record):
    """Five awarded customer-service contracts of ¥100,000, one bid each."""
    track_record(5, amount=100000_00)


def test_a_brand_sees_how_its_tender_compares_and_nobody_else_does(app, api, make_user, category_history):
    owner = api(make_user("brand"))
    tender = owner.post("/tenders", json=tender_payload(budget_min=50000_00, budget_max=80000_00)).json["id"]
    for _ in range(2):
        assert api(make_user("provider")).post(f"/tenders/{tender}/bids", json=bid_payload(70000_00)).status_code == 201
    with app.app_context():
        jobs.recompute_market()
    got = owner.get(f"/tenders/{tender}/comparison").json
    assert got == {"budget_max": 80000_00, "median_awarded_amount": 100000_00, "bids": 2, "median_bids": 1,
                   "awarded_contracts": 5}
    assert api(make_user("brand")).get(f"/tenders/{tender}/comparison").status_code == 404
    assert api(make_user("provider")).get(f"/tenders/{tender}/comparison").status_code == 403
    page = signed_in(app, owner.get("/me").json["id"]).get(f"/tenders/{tender}", headers=ENGLISH).get_data(as_text=True)
    assert 'data-testid="comparison"' in page and "¥100,000.00" in page and "2 bids so far" in page
    stranger = signed_in(app, make_user("brand").id).get(f"/tenders/{tender}").get_data(as_text=True)
    assert 'data-testid="comparison"' not in stranger


def test_without_enough_contracts_the_comparison_says_so(app, api, make_user):
    owner = api(make_user("brand"))
    tender = owner.post("/tenders", json=tender_payload()).json["id"]
    got = owner.get(f"/tenders/{tender}/comparison").json
    assert got["median_awarded_amount"] is None and got["median_bids"] is None
    page = signed_in(app, owner.get("/me").json["id"]).get(f"/tenders/{tender}", headers=ENGLISH).get_data(as_text=True)
    assert "too few contracts awarded in this category to compare (fewer than 5)" in page


def test_brands_say_where_they_are(app, api, make_user):
    brand = make_user("brand")
    caller = api(brand)
    body = {"store_name": "Moshan Tea", "size_tier": "small", "province": "fujian", "city": "福州"}
    r = caller.put("/me/brand-profile", json=body)
    assert r.status_code == 200 and r.json["province"] == "fujian" and r.json["city"] == "福州"
    assert caller.put("/me/brand-profile", json={**body, "province": "atlantis"}).status_code == 422
    with app.app_context():
        assert db.session.get(BrandProfile, brand.id).province == "fujian"  # the refused change left it
    web = signed_in(app, brand.id)
    assert 'name="province"' in web.get("/account/profile").get_data(as_text=True)
    r = form_post(web, "/account/profile", {"store_name": "Moshan Tea", "size_tier": "small", "province": "zhejiang",
                                            "city": "杭州"})
    assert r.status_code == 302
    with app.app_context():
        saved = db.session.get(BrandProfile, brand.id)
        assert (saved.province, saved.city) == ("zhejiang", "杭州")


def test_cities_and_months_through_the_api(app, client, make_user, track_record):
    _place(app, make_user("brand").id, "zhejiang", "杭州")
    _place(app, make_user("provider").id, "zhejiang", "杭州", score="70")
    track_record(2, amount=100000_00)  # two awards this month: fewer than five, so no volume
    with app.app_context():
        jobs.recompute_market()
    cities = client.get("/api/v1/market/cities")
    assert cities.status_code == 200
    hangzhou = next(r for r in cities.json if (r["province"], r["city"]) == ("zhejiang", "杭州"))
    assert set(hangzhou) >= {"province", "city"}
    months = client.get("/api/v1/market/months")
    assert months.status_code == 200 and len(months.json) == insight.MONTHS
    this_month = f"{datetime.now(UTC):%Y-%m}"
    assert months.json[-1]["month"] == this_month
    assert months.json[-1]["tenders_published"] == 2 and months.json[-1]["awarded_contracts"] == 2
    assert months.json[-1]["awarded_volume"] is None  # under five contracts: suppressed
