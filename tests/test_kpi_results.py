"""KPI results: the brand records what its store measured per milestone against the tender's targets;
both sides (and staff deciding a dispute) see them, and they count toward the provider's rating."""
from extensions import db
from models import User
from models.types import utcnow
from services import ratings, ratings_data
from tests.support.web import form_post, switch


def kpi_deal(deal):
    """A contract from a tender with one KPI (first-response time, at least 30 s), its first milestone funded."""
    d = deal()
    d.deposit(450000_00)
    d.fund(0)
    return d


def test_the_brand_records_results_once_per_kpi_and_milestone(deal, api, make_user):
    d = kpi_deal(deal)
    board = d.brand.get(f"/contracts/{d.contract_id}/kpi-results").json
    assert board["items"] == [] and [(k["name"], k["direction"]) for k in board["kpis"]] \
        == [("first-response time", "at_least")]
    kpi = board["kpis"][0]["id"]
    url = f"/milestones/{d.milestone_ids[0]}/kpi-results"

    r = d.brand.post(url, json={"kpi_id": kpi, "value": "31.5"})
    assert r.status_code == 201 and r.json["met"] is True and r.json["value"] == 31.5
    again = d.brand.post(url, json={"kpi_id": kpi, "value": 40})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_recorded"  # a record stays
    assert d.provider.post(url, json={"kpi_id": kpi, "value": 50}).status_code == 403
    assert api(make_user("brand")).post(url, json={"kpi_id": kpi, "value": 50}).status_code == 404
    assert d.brand.post(url, json={"kpi_id": kpi + 999, "value": 50}).status_code == 422
    assert d.brand.post(f"/milestones/{d.milestone_ids[1]}/kpi-results", json={"kpi_id": kpi, "value": -1}) \
        .status_code == 422
    for too_big in ("9999999999.99995", "1e400"):  # rounds past numeric(14, 4); past any bound
        r = d.brand.post(f"/milestones/{d.milestone_ids[1]}/kpi-results", json={"kpi_id": kpi, "value": too_big})
        assert r.status_code == 422 and "value" in r.json["error"]["fields"]
    unfunded = d.brand.post(f"/milestones/{d.milestone_ids[1]}/kpi-results", json={"kpi_id": kpi, "value": 5})
    assert unfunded.status_code == 409  # nothing measured before the work is funded

    seen = d.provider.get(f"/contracts/{d.contract_id}/kpi-results").json["items"]
    assert [(i["milestone_id"], i["value"], i["met"]) for i in seen] == [(d.milestone_ids[0], 31.5, True)]
    assert api(make_user("provider")).get(f"/contracts/{d.contract_id}/kpi-results").status_code == 404
    note = d.provider.get("/notifications").json["items"][0]
    assert note["kind"] == "kpi_recorded"


def test_a_lower_is_better_kpi_is_met_at_or_below_its_target(market, api, make_user):
    m = market(1, kpis=[{"name": "first-response time", "target": 30, "unit": "s", "direction": "at_most"}])
    m.bid(0)
    bid = m.providers[0].get(f"/tenders/{m.tender_id}/bids").json["items"][0]["id"]
    m.close()
    contract = m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": bid}).json["contract_id"]
    milestones = [ms["id"] for ms in m.brand.get(f"/contracts/{contract}").json["milestones"]]
    api(make_user("admin")).post("/admin/deposits", json={"user_id": m.brand.get("/me").json["id"], "currency": "CNY",
                                                          "amount": 450000_00, "reference": "BANK-KPI-1"})
    for milestone in milestones[:2]:
        assert m.brand.post(f"/milestones/{milestone}/fund").status_code == 200
    kpi = m.brand.get(f"/contracts/{contract}/kpi-results").json["kpis"][0]["id"]
    fast = m.brand.post(f"/milestones/{milestones[0]}/kpi-results", json={"kpi_id": kpi, "value": "24.79"}).json
    slow = m.brand.post(f"/milestones/{milestones[1]}/kpi-results", json={"kpi_id": kpi, "value": "59.71"}).json
    assert (fast["met"], slow["met"]) == (True, False)


def test_results_feed_the_operating_capability(deal, app):
    d = kpi_deal(deal)
    kpi = d.brand.get(f"/contracts/{d.contract_id}/kpi-results").json["kpis"][0]["id"]
    provider = d.provider.get("/me").json["id"]
    with app.app_context():
        before = ratings_data.gather(utcnow(), [provider])[provider]
    d.brand.post(f"/milestones/{d.milestone_ids[0]}/kpi-results", json={"kpi_id": kpi, "value": 12})  # missed
    with app.app_context():
        after = ratings_data.gather(utcnow(), [provider])[provider]
    assert (before.kpi_results, after.kpi_results, after.kpi_met) == (0, 1, 0)
    assert ratings.operating(before)[0] - ratings.operating(after)[0] == 20  # that part is lost


def test_the_brand_records_a_result_on_the_contract_page(client, login, deal, app):
    d = kpi_deal(deal)
    with app.app_context():
        brand = db.session.get(User, d.brand_id)
        provider = db.session.get(User, d.provider.get("/me").json["id"])
    kpi = d.brand.get(f"/contracts/{d.contract_id}/kpi-results").json["kpis"][0]["id"]
    login(brand)

    page = f"/contracts/{d.contract_id}"
    r = form_post(client, f"/contracts/{d.contract_id}/kpi-results",
                  {"milestone_id": d.milestone_ids[0], "kpi_id": kpi, "value": "28"}, page=page,
                  follow_redirects=True, headers={"Accept-Language": "en"})
    html = r.get_data(as_text=True)
    assert "KPI result recorded" in html and f'data-testid="kpi-results-{kpi}"' in html and "28 s ✗" in html

    switch(client, provider)
    html = client.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "28 s ✗" in html and 'data-testid="kpi-form"' not in html  # the provider sees it, cannot record
