"""The brand score (issue 18, item 4): computed by the nightly ratings run from what brands did, shown on
tenders and the brand's page, filterable and sortable; a new brand shows "new", never a number."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from extensions import db
from models import BrandProfile, Contract, Milestone
from models.types import utcnow
from services import brand_scores, escrow
from services.brand_scores import BrandInputs
from services.runners import ratings as rating_runner
from tests.support.factories import tender_payload
from tests.support.queries import counting_queries

EN = {"Accept-Language": "en"}


def _nightly(app):
    with app.app_context():
        return rating_runner.recompute_all()


def _brand_id(brand) -> int:
    return brand.get("/me").json["id"]


def test_the_formula_rewards_fast_payment_and_punishes_silence_disputes_and_cancellations():
    good = BrandInputs(contracts=5, funded=10, funding_days=5.0, accepted=10, acceptance_days=5.0)
    perfect = brand_scores.score(good)
    assert perfect.score == 95 and perfect.payment_days == 0.5  # no reviews yet: the platform mean, 4 of 5
    slow = brand_scores.score(BrandInputs(**{**vars(good), "funding_days": 70.0}))  # 7 days on average
    assert slow.marks["payment"] == round((14 - 7) / (14 - 1) * 100, 2) and slow.score < perfect.score
    silent = brand_scores.score(BrandInputs(**{**vars(good), "accepted": 5, "acceptance_days": 2.5,
                                               "auto_released": 5}))
    assert silent.marks["silence"] == 0  # half the releases by themselves: SILENCE_SHARE_FOR_ZERO
    lost = brand_scores.score(BrandInputs(**{**vars(good), "disputes": 1, "disputes_lost": 1}))
    assert lost.marks["disputes"] == 50  # 1 of 10 funded: each part loses half
    cancels = brand_scores.score(BrandInputs(**{**vars(good), "tenders_with_bids": 4, "cancelled_after_bids": 1}))
    assert cancels.marks["cancellations"] == 50
    reviewed = brand_scores.score(BrandInputs(**{**vars(good), "reviews": 3, "review_score_sum": 3.0}))
    assert reviewed.review_average == 2.5 and reviewed.marks["reviews"] == 37.5
    assert brand_scores.score(BrandInputs(contracts=brand_scores.MIN_CONTRACTS - 1)).score is None  # new


def test_the_nightly_run_scores_brands_and_tenders_show_it(app, api, make_user, track_record, client):
    _, _, deals = track_record(3, brands=1)
    brand = deals[0][0]
    brand_id = _brand_id(brand)
    newcomer = api(make_user("brand"))
    new_tender = newcomer.post("/tenders", json=tender_payload(title="From a new brand")).json["id"]
    scored_tender = brand.post("/tenders", json=tender_payload(title="From a known brand")).json["id"]
    with app.app_context():  # the first milestone was funded three days after the award
        first = db.session.scalar(select(Milestone).join(Contract).where(Contract.id == deals[0][1]))
        first.funded_at = first.contract.created_at + timedelta(days=3)
        db.session.commit()
    assert _nightly(app)["brands_changed"] >= 1
    with app.app_context():
        profile = db.session.get(BrandProfile, brand_id)
        assert profile.brand_score is not None and profile.brand_score_inputs["funded"] == 3
        assert db.session.get(BrandProfile, _brand_id(newcomer)).brand_score is None

    page = client.get(f"/brands/{brand_id}", headers=EN).get_data(as_text=True)
    assert "Pays within 1 days on average; 0 disputes lost in 12 months." in page
    assert "3 days over 3 funded milestones" not in page and "1 days over 3 funded milestones" in page
    listing = client.get("/tenders", headers=EN).get_data(as_text=True)
    assert f"Brand score {round(profile.brand_score)}" in listing and "New brand" in listing
    detail = client.get(f"/tenders/{new_tender}", headers=EN).get_data(as_text=True)
    assert "New brand" in detail and "Pays within" not in detail
    assert "Pays within 1 days" in client.get(f"/tenders/{scored_tender}", headers=EN).get_data(as_text=True)

    out = api().get(f"/tenders/{scored_tender}").json["brand"]
    assert out["new"] is False and out["score"] == float(profile.brand_score) and out["payment_days"] == 1.0
    out = api().get(f"/tenders/{new_tender}").json["brand"]
    assert (out["new"], out["score"], out["payment_days"]) == (True, None, None)


def test_providers_filter_and_sort_tenders_by_brand_score(app, api, make_user, track_record, client):
    _, _, deals = track_record(2, brands=1)
    brand = deals[0][0]
    newcomer = api(make_user("brand"))
    old = brand.post("/tenders", json=tender_payload(title="Older, known brand")).json["id"]
    newer = newcomer.post("/tenders", json=tender_payload(title="Newer, new brand")).json["id"]
    _nightly(app)
    anyone = api()
    ids = [t["id"] for t in anyone.get("/tenders").json["items"]]
    assert ids.index(newer) < ids.index(old)  # newest first by default
    ids = [t["id"] for t in anyone.get("/tenders?sort=brand_score").json["items"]]
    assert ids.index(old) < ids.index(newer)  # new brands last
    ids = [t["id"] for t in anyone.get("/tenders?min_brand_score=50").json["items"]]
    assert old in ids and newer not in ids
    for bad, status in (("min_brand_score=101", 422), ("min_brand_score=x", 400), ("sort=cheapest", 422)):
        r = anyone.get(f"/tenders?{bad}")
        assert r.status_code == status and bad.split("=")[0] in r.json["error"]["fields"]
    web = client.get("/tenders?min_brand_score=50&sort=brand_score&status=", headers=EN).get_data(as_text=True)
    assert "Older, known brand" in web and "Newer, new brand" not in web
    r = client.get("/tenders?min_brand_score=500", headers=EN)
    assert r.status_code == 200 and "Number must be between 0 and 100" in r.get_data(as_text=True)


def test_a_release_the_brand_left_to_the_clock_counts_as_silence(app, deal):
    d = deal((100000_00,))
    d.deposit(100000_00)
    d.fund(0)
    d.deliver(0)
    with app.app_context():
        later = utcnow() + timedelta(days=current_app.config["AUTO_RELEASE_DAYS"] + 1)
        assert escrow.auto_release(d.milestone_ids[0], later)
        db.session.commit()
        only = brand_scores.gather(utcnow(), [d.brand_id])[d.brand_id]
    assert (only.funded, only.auto_released, only.accepted, only.contracts) == (1, 1, 0, 1)


def test_the_recompute_is_set_based(app, api, make_user, track_record):
    track_record(1, brands=1)
    with app.app_context(), counting_queries(db.engine) as few:
        brand_scores.recompute(utcnow())
    track_record(4, brands=4)
    with app.app_context(), counting_queries(db.engine) as many:
        brand_scores.recompute(utcnow())
    assert len(many) == len(few)  # one query per aggregate, whatever the number of brands


def test_the_page_states_the_thresholds_from_the_constants(app, api, make_user, client, monkeypatch):
    brand = make_user("brand")
    with app.app_context():
        db.session.execute(update(BrandProfile).where(BrandProfile.user_id == brand.id).values(store_name="Shop"))
        db.session.commit()
    page = client.get(f"/brands/{brand.id}", headers=EN).get_data(as_text=True)
    assert "1 or less gives full marks, 14 or more none" in page and "fewer than 2 contracts" in page
    assert "New brand" in page and "25%" in page
    monkeypatch.setattr(brand_scores, "PAYMENT_DAYS", (2, 10))
    monkeypatch.setattr(brand_scores, "MIN_CONTRACTS", 4)
    monkeypatch.setattr(brand_scores, "WEIGHTS", {**brand_scores.WEIGHTS, "payment": 0.3, "acceptance": 0.1})
    page = client.get(f"/brands/{brand.id}", headers=EN).get_data(as_text=True)
    assert "2 or less gives full marks, 10 or more none" in page and "fewer than 4 contracts" in page
    assert "30%" in page and "25%" not in page
    assert client.get("/brands/999999").status_code == 404
    provider = make_user("provider")
    assert client.get(f"/brands/{provider.id}").status_code == 404


def test_a_later_milestone_is_owed_from_the_release_of_the_one_before(app, deal):
    d = deal((100000_00, 100000_00))
    d.deposit(200000_00)
    d.release(0)
    d.fund(1)
    with app.app_context():  # the award 30 days ago, the first milestone released 2 days before the second funded
        contract = db.session.get(Contract, d.contract_id)
        first, second = sorted(contract.milestones, key=lambda m: m.position)
        contract.created_at = utcnow() - timedelta(days=30)
        first.funded_at = contract.created_at + timedelta(days=1)
        first.released_at = utcnow() - timedelta(days=2)
        second.funded_at = utcnow()
        db.session.commit()
        inputs = brand_scores.gather(utcnow(), [d.brand_id])[d.brand_id]
    assert inputs.funded == 2 and round(inputs.funding_days, 3) == 3.0  # 1 day + 2 days, not 1 + 30


def test_the_brand_page_lists_providers_published_reviews_of_the_brand(client, track_record, app):
    provider, _, [(brand, contract)] = track_record(1)
    scores = {"quality": 4, "communication": 5, "timeliness": 2, "professionalism": 4}
    assert provider.post(f"/contracts/{contract}/reviews", json={"scores": scores,
                                                                "comment": "Paid late, clear brief"}).status_code == 201
    page = f"/brands/{brand.get('/me').json['id']}"
    assert "Paid late" not in client.get(page).get_data(as_text=True)  # not public until both are in
    brand.post(f"/contracts/{contract}/reviews", json={"scores": scores, "comment": "Good provider work"})
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Paid late, clear brief" in html and "3.8 / 5" in html and "Good provider work" not in html
    _nightly(app)
    html = client.get(page, headers=EN).get_data(as_text=True)
    assert "Average 3.75 of 5 from 1 review" in html  # the only review on the platform is its mean too
