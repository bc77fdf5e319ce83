"""Tenders endpoints of the contract: create, list with filters and paging, detail, close, cancel."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from extensions import db
from models import Tender
from tests.support.factories import in_days, tender_payload


@pytest.fixture
def brand(make_user):
    return make_user("brand")


@pytest.fixture
def posted(api, brand):
    """post(**overrides) → the created tender's JSON, posted by `brand`."""
    caller = api(brand)

    def post(**overrides):
        r = caller.post("/tenders", json=tender_payload(**overrides))
        assert r.status_code == 201, r.json
        return r.json

    post.caller = caller
    return post


def tender_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Tender))


def test_brand_creates_tender(posted):
    t = posted()
    assert t["status"] == "open"
    assert t["current_round"] is None
    assert t["rounds"] == ["proposal", "pitch", "site_visit"]
    assert t["budget_min"] == 30000000 and isinstance(t["budget_min"], int)
    assert [{k: kpi[k] for k in ("name", "target", "unit", "direction")} for kpi in t["kpis"]] \
        == [{"name": "first-response time", "target": 30, "unit": "s", "direction": "at_least"}]
    assert t["bid_count"] == 0
    assert t["bid_deadline"].endswith("Z")  # UTC, in ISO 8601


def test_create_requires_token_and_brand_role(api, make_user, app):
    assert api().post("/tenders", json=tender_payload()).status_code == 401
    r = api(make_user("provider")).post("/tenders", json=tender_payload())
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert tender_count(app) == 0


@pytest.mark.parametrize("overrides, field", [
    ({"budget_min": 500, "budget_max": 100}, "budget_max"),
    ({"budget_min": 0}, "budget_min"),
    ({"bid_deadline": in_days(-1)}, "bid_deadline"),
    ({"bid_deadline": in_days(400)}, "bid_deadline"),
    ({"bid_deadline": "2030-01-01T10:00:00"}, "bid_deadline"),  # no offset: ambiguous
    ({"title": "ab"}, "title"),
    ({"category": "plumbing"}, "category"),
    ({"currency": "XYZ"}, "currency"),
    ({"rounds": []}, "rounds"),
    ({"rounds": ["proposal", "proposal"]}, "rounds"),
    ({"rounds": ["interview"]}, "rounds.0"),
    ({"kpis": [{"name": "", "target": 3, "unit": "%"}]}, "kpis"),
    ({"kpis": [{"name": "conversion", "target": -1, "unit": "%"}]}, "kpis"),
])
def test_invalid_tender_is_422_and_creates_nothing(posted, app, overrides, field):
    r = posted.caller.post("/tenders", json=tender_payload(**overrides))
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"], r.json
    assert tender_count(app) == 0


@pytest.mark.parametrize("overrides", [
    {"budget_min": 1000.5}, {"budget_min": "1000"}, {"sealed": "yes"}, {"rounds": "proposal"},
    {"kpis": {"name": "x"}},
])
def test_wrong_types_are_400(posted, app, overrides):
    r = posted.caller.post("/tenders", json=tender_payload(**overrides))
    assert r.status_code == 400, r.json
    assert tender_count(app) == 0


def test_malformed_json_is_400(posted, app):
    r = posted.caller.raw("POST", "/tenders", b'{"title": "x",')
    assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    assert tender_count(app) == 0


def test_list_filters_search_and_paging(posted, api):
    posted(title="Detail page redesign for snacks", category="design", budget_min=20000_00, budget_max=60000_00)
    posted(title="Product photography for 30 teas", category="photography", budget_min=5000_00,
           budget_max=12000_00, description="White background and scene shots 茶叶拍摄.")
    posted(title="Store diagnosis", category="consulting", budget_min=3000_00, budget_max=8000_00)
    anon = api()

    def titles(**params):
        r = anon.get("/tenders", query_string=params)
        assert r.status_code == 200, r.json
        return [t["title"] for t in r.json["items"]]

    assert titles(category="design") == ["Detail page redesign for snacks"]
    assert titles(q="PHOTOGRAPHY teas") == ["Product photography for 30 teas"]
    assert titles(q="茶叶") == ["Product photography for 30 teas"]  # Chinese matched as written
    assert titles(q="scene") == ["Product photography for 30 teas"]  # description searched too
    assert titles(q="100%") == []  # LIKE wildcards are escaped
    assert titles(budget_min=50000_00) == ["Detail page redesign for snacks"]
    assert titles(budget_max=4000_00) == ["Store diagnosis"]
    assert titles(status="open") == ["Store diagnosis", "Product photography for 30 teas",
                                     "Detail page redesign for snacks"]  # newest first
    r = anon.get("/tenders", query_string={"per_page": 2, "page": 2})
    assert (r.json["page"], r.json["per_page"], r.json["total"]) == (2, 2, 3)
    assert [t["title"] for t in r.json["items"]] == ["Detail page redesign for snacks"]


@pytest.mark.parametrize("params, status", [
    ({"per_page": 101}, 422), ({"page": 0}, 422), ({"category": "plumbing"}, 422),
    ({"status": "done"}, 422), ({"page": "two"}, 400), ({"budget_min": "lots"}, 400),
])
def test_bad_list_parameters(api, params, status):
    r = api().get("/tenders", query_string=params)
    assert r.status_code == status, r.json


def test_detail_and_404(posted, api):
    t = posted()
    assert api().get(f"/tenders/{t['id']}").json["title"] == t["title"]
    r = api().get("/tenders/999999")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_passed_deadline_means_evaluating_without_any_job(posted, api):
    t = posted(bid_deadline=in_days(2))
    later = datetime.now(UTC) + timedelta(days=2, minutes=1)
    with time_machine.travel(later, tick=False):
        detail = api().get(f"/tenders/{t['id']}").json
        assert detail["status"] == "evaluating"
        assert detail["current_round"] == "proposal"
        ids = [x["id"] for x in api().get("/tenders", query_string={"status": "evaluating"}).json["items"]]
        assert ids == [t["id"]]
        assert api().get("/tenders", query_string={"status": "open"}).json["total"] == 0
        # Bidding has closed by time: closing by hand is now an illegal transition.
        assert posted.caller.post(f"/tenders/{t['id']}/close").status_code == 409


def test_close_then_cancel_then_nothing(posted, api, make_user):
    t = posted()
    tid = t["id"]
    other_brand = api(make_user("brand"))
    assert other_brand.post(f"/tenders/{tid}/close").status_code == 403
    assert api(make_user("provider")).post(f"/tenders/{tid}/close").status_code == 403
    assert api().post(f"/tenders/{tid}/close").status_code == 401
    assert posted.caller.post("/tenders/424242/close").status_code == 404

    r = posted.caller.post(f"/tenders/{tid}/close")
    assert r.status_code == 200 and r.json == {"id": tid, "status": "evaluating"}
    assert api().get(f"/tenders/{tid}").json["current_round"] == "proposal"
    r = posted.caller.post(f"/tenders/{tid}/close")
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"

    r = posted.caller.post(f"/tenders/{tid}/cancel", json={"reason": "Budget moved to next quarter"})
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    assert posted.caller.post(f"/tenders/{tid}/cancel", json={}).status_code == 409
    assert posted.caller.post(f"/tenders/{tid}/close").status_code == 409


def test_cancel_with_bad_body(posted):
    t = posted()
    r = posted.caller.post(f"/tenders/{t['id']}/cancel", json={"reason": 12})
    assert r.status_code == 400
    r = posted.caller.raw("POST", f"/tenders/{t['id']}/cancel", b"{oops")
    assert r.status_code == 400
    assert posted.caller.get(f"/tenders/{t['id']}").json["status"] == "open"


def test_sealed_tender_hides_bid_count_from_providers_not_from_its_brand(posted, api, make_user):
    t = posted(sealed=True)
    assert api(make_user("provider")).get(f"/tenders/{t['id']}").json["bid_count"] is None
    assert api().get(f"/tenders/{t['id']}").json["bid_count"] is None
    assert posted.caller.get(f"/tenders/{t['id']}").json["bid_count"] == 0


def test_list_and_detail_show_kpis_criteria_and_count_as_the_tender_itself_holds_them(posted, api, app, make_user):
    """The list and the detail read KPIs, criteria and the bid count with the page (one query); what they show
    is what the tender's own rows give: targets exact (fractional, whole, large), KPIs by position, criteria
    by round then position, deal-breakers as booleans."""
    from blueprints.api.presenters import tender_out  # noqa: PLC0415
    from tests.support.factories import bid_payload  # noqa: PLC0415

    kpis = [{"name": "first-response time", "target": 30, "unit": "s", "direction": "at_most"},
            {"name": "conversion", "target": "2.5", "unit": "%"},
            {"name": "orders", "target": 9999999999.9999, "unit": "", "bonus_bps": 500, "penalty_bps": 300},
            {"name": "share", "target": 0.1, "unit": "%"}]
    criteria = {"pitch": [{"name": "team", "weight": 70}, {"name": "price", "weight": 30}],
                "proposal": [{"name": "plan", "weight": 40}, {"name": "references", "weight": 60},
                             {"name": "licensed call centre", "deal_breaker": True}]}
    rich = posted(kpis=kpis, criteria=criteria, rounds=["proposal", "pitch"])
    plain = posted(kpis=[])
    provider = api(make_user("provider"))
    assert provider.post(f"/tenders/{rich['id']}/bids", json=bid_payload()).status_code == 201
    listed = {t["id"]: t for t in api().get("/tenders?per_page=100").json["items"]}
    with app.test_request_context():
        expected = {t.id: tender_out(t, None, {rich["id"]: 1}).model_dump(mode="json")
                    for t in db.session.scalars(select(Tender).where(Tender.id.in_([rich["id"], plain["id"]])))}
    for tender_id in (rich["id"], plain["id"]):
        assert listed[tender_id] == expected[tender_id]
        assert api().get(f"/tenders/{tender_id}").json == expected[tender_id]
    shown = listed[rich["id"]]
    assert [k["target"] for k in shown["kpis"]] == [30, 2.5, 9999999999.9999, 0.1] and shown["bid_count"] == 1
    assert [c["name"] for c in shown["criteria"]["proposal"]] == ["plan", "references", "licensed call centre"]
    assert shown["criteria"]["proposal"][2]["deal_breaker"] is True and listed[plain["id"]]["kpis"] == []
