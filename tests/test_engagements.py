"""Retainer and metered contracts: terms on the tender and the bid, one milestone per period, funding
with the most the KPI bonuses can add, and the release rules (fee + bonus − penalty; metered
min(quantity × price, cap)), with the rest back to the brand's wallet in the same posting."""
from sqlalchemy import func, select

from extensions import db
from models import Contract, LedgerEntry, LedgerPosting, Milestone, Review, Tender, UsageRecord
from services import ledger
from tests.support.engagements import KPI_TERMS, PROPOSAL, periodic_contract
from tests.support.factories import tender_payload
from tests.support.ledger import balances


def _tenders(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Tender))


def _escrow(app, milestone_id: int) -> int:
    with app.app_context():
        return ledger.balance(ledger.escrow(db.session.get(Milestone, milestone_id)))


def _release_posting(app, milestone_id: int) -> tuple[dict, list[int]]:
    """The release posting's meta and its entries' amounts, sorted."""
    with app.app_context():
        key = f"release:milestone:{milestone_id}"
        posting = db.session.scalar(select(LedgerPosting).where(LedgerPosting.key == key))
        entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.posting_id == posting.id)).all()
        return posting.meta, sorted(e.amount for e in entries)


def test_bad_engagement_terms_name_the_field_and_create_nothing(app, api, make_user):
    brand = api(make_user("brand"))
    cases = [
        ({"engagement": "retainer", "periods": 6, "period_days": 5}, "period_days"),
        ({"engagement": "retainer", "periods": 37, "period_days": 30}, "periods"),
        ({"engagement": "retainer", "period_days": 30}, "periods"),
        ({"engagement": "metered", "periods": 6, "period_days": 30}, "unit"),
        ({"engagement": "retainer", "periods": 6, "period_days": 30,
          "kpis": [dict(KPI_TERMS[0], bonus_bps=3001)]}, "kpis"),
        ({"engagement": "retainer", "periods": 6, "period_days": 30,
          "kpis": [dict(KPI_TERMS[0], penalty_bps=-1)]}, "kpis"),
    ]
    for overrides, field in cases:
        r = brand.post("/tenders", json=tender_payload(**overrides))
        assert r.status_code == 422 and field in r.json["error"]["fields"], (overrides, r.json)
    r = brand.post("/tenders", json=tender_payload(engagement="weekly"))
    assert r.status_code == 422 and "engagement" in r.json["error"]["fields"]
    assert _tenders(app) == 0


def test_a_retainer_tender_shows_its_terms(api, make_user):
    brand = api(make_user("brand"))
    r = brand.post("/tenders", json=tender_payload(engagement="retainer", periods=6, period_days=30, kpis=KPI_TERMS))
    assert r.status_code == 201
    assert (r.json["engagement"], r.json["periods"], r.json["period_days"], r.json["unit"]) == ("retainer", 6, 30, None)
    assert [(k["bonus_bps"], k["penalty_bps"], k["direction"]) for k in r.json["kpis"]] == [
        (1000, 500, "at_most"), (500, 1000, "at_least")]
    fixed = brand.post("/tenders", json=tender_payload()).json
    assert (fixed["engagement"], fixed["periods"], fixed["kpis"][0]["bonus_bps"]) == ("fixed", None, 0)


def test_bids_on_periodic_tenders(app, api, make_user):
    brand, provider = api(make_user("brand")), api(make_user("provider"))
    retainer = brand.post("/tenders", json=tender_payload(engagement="retainer", periods=3, period_days=30)).json["id"]
    metered = brand.post("/tenders", json=tender_payload(engagement="metered", periods=3, period_days=30,
                                                         unit="photo")).json["id"]
    body = {"currency": "CNY", "delivery_days": 30, "proposal": PROPOSAL}
    r = provider.post(f"/tenders/{retainer}/bids", json=body)
    assert r.status_code == 422 and "amount" in r.json["error"]["fields"]
    plan = [{"title": "All", "amount": 100, "due_days": 10}]
    r = provider.post(f"/tenders/{retainer}/bids", json=body | {"amount": 100, "milestones": plan})
    assert r.status_code == 422 and "milestones" in r.json["error"]["fields"]
    r = provider.post(f"/tenders/{metered}/bids", json=body | {"unit_price": 50_00})
    assert r.status_code == 422 and "cap_per_period" in r.json["error"]["fields"]
    r = provider.post(f"/tenders/{metered}/bids", json=body | {"unit_price": 50_00, "cap_per_period": 10_00})
    assert r.status_code == 422 and "cap_per_period" in r.json["error"]["fields"]
    r = provider.post(f"/tenders/{metered}/bids", json=body | {"unit_price": 50_00, "cap_per_period": 1000_00})
    assert r.status_code == 201
    assert (r.json["unit_price"], r.json["cap_per_period"], r.json["amount"]) == (50_00, 1000_00, 1000_00)
    r = provider.post(f"/tenders/{retainer}/bids", json=body | {"amount": 80000_00})
    assert r.status_code == 201 and r.json["milestones"] == []


def test_award_makes_one_milestone_per_period(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3, period_days=30)
    contract = c.contract()
    assert contract["engagement"] == "retainer" and contract["auto_fund"] is False
    periods = contract["milestones"]
    assert [p["period_index"] for p in periods] == [0, 1, 2]
    # funded with fee + every bonus: 10 % + 5 % of 100 000.00
    assert {(p["base_amount"], p["amount"], p["funded_amount"], p["released_amount"]) for p in periods} == {
        (100000_00, 115000_00, 0, 0)}
    assert periods[0]["due_at"] == periods[1]["starts_at"] and periods[1]["due_at"] == periods[2]["starts_at"]
    assert contract["amount"] == 300000_00


def test_retainer_release_pays_bonus_met_and_withholds_penalty_missed(app, api, make_user):
    c = periodic_contract(app, api, make_user)
    c.deposit(230000_00)
    c.fund(0)
    assert c.period(0)["funded_amount"] == 115000_00
    assert balances(c.brand) == {"brand_wallet": 115000_00}
    c.kpi(0, 0, 24.79)  # first-response time met (at most 30 s): +10 %
    c.kpi(0, 1, 50.81)  # conversion missed (at least 52 %): −10 %
    c.deliver(0)
    c.accept(0)
    # provider: 100 000 + 10 000 − 10 000 = 100 000, less 10 % commission; the brand gets 15 000 back
    assert balances(c.provider) == {"provider_payable": 90000_00}
    assert balances(c.brand) == {"brand_wallet": 130000_00}
    assert _escrow(app, c.milestone_ids[0]) == 0
    meta, amounts = _release_posting(app, c.milestone_ids[0])
    assert (meta["bonus"], meta["penalty"], meta["returned"], meta["commission"]) == (10000_00, 10000_00, 15000_00,
                                                                                      10000_00)
    assert amounts == [-115000_00, 10000_00, 15000_00, 90000_00]  # one posting, balanced
    assert c.period(0)["released_amount"] == 100000_00

    # Period 2: both met → fee + 15 %; nothing returned.
    c.fund(1)
    c.kpi(1, 0, 30)
    c.kpi(1, 1, 54.38)
    c.deliver(1)
    c.accept(1)
    assert balances(c.provider) == {"provider_payable": 90000_00 + 103500_00}
    assert c.period(1)["released_amount"] == 115000_00


def test_no_result_means_no_bonus_and_no_penalty(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=1)
    c.deposit(115000_00)
    c.fund(0)
    c.kpi(0, 1, 40)  # conversion missed; first-response time never recorded
    c.deliver(0)
    c.accept(0)
    assert c.period(0)["released_amount"] == 90000_00  # fee − 10 % penalty, no bonus
    assert balances(c.brand) == {"brand_wallet": 25000_00}
    assert c.contract()["status"] == "completed"


def test_kpi_result_for_another_contracts_kpi_is_refused(app, api, make_user):
    one = periodic_contract(app, api, make_user, periods=1)
    other = periodic_contract(app, api, make_user, periods=1)
    one.deposit(115000_00)
    one.fund(0)
    r = one.brand.post(f"/milestones/{one.milestone_ids[0]}/kpi-results", json={"kpi_id": other.kpi_ids[0],
                                                                                  "value": 20})
    assert r.status_code == 422 and "kpi_id" in r.json["error"]["fields"]
    r = one.brand.post(f"/milestones/{other.milestone_ids[0]}/kpi-results", json={"kpi_id": other.kpi_ids[0],
                                                                                   "value": 20})
    assert r.status_code == 404


def test_metered_usage_is_charged_up_to_the_cap(app, api, make_user):
    c = periodic_contract(app, api, make_user, engagement="metered", kpis=[], periods=2)
    assert c.usage(0, 3).status_code == 409  # not funded yet
    c.deposit(2000_00)
    c.fund(0)
    for bad in (0, -4):
        r = c.usage(0, bad)
        assert r.status_code == 422 and "quantity" in r.json["error"]["fields"]
    assert c.provider.post(f"/milestones/{c.milestone_ids[0]}/usage", json={"quantity": 1.5}).status_code == 400
    r = c.usage(0, 5)
    assert r.status_code == 201 and r.json == {"quantity_total": 5, "charge": 250_00}
    r = c.usage(0, 30, caller=c.brand)  # the brand's own system may post usage too
    assert r.status_code == 201 and r.json == {"quantity_total": 35, "charge": 1000_00}  # capped
    c.deliver(0)
    r = c.usage(0, 1)  # in review: the brand accepts the count it reviewed
    assert r.status_code == 409 and r.json["error"]["code"] == "period_not_open"
    c.accept(0)
    assert balances(c.provider) == {"provider_payable": 900_00}
    assert c.usage(0, 1).status_code == 409  # settled
    assert c.period(0)["released_amount"] == 1000_00

    c.fund(1)
    c.usage(1, 3)
    c.deliver(1)
    c.accept(1)
    assert c.period(1)["released_amount"] == 150_00
    assert balances(c.brand) == {"brand_wallet": 850_00}  # the unused cap came back
    assert balances(c.provider) == {"provider_payable": 900_00 + 135_00}
    assert _escrow(app, c.milestone_ids[1]) == 0
    with app.app_context():
        assert ledger.unbalanced_postings() == []
        assert db.session.scalar(select(func.count()).select_from(UsageRecord)) == 3


def test_usage_is_for_metered_periods_and_their_parties(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=1)
    c.deposit(115000_00)
    c.fund(0)
    r = c.usage(0, 2)
    assert r.status_code == 409 and r.json["error"]["code"] == "not_metered"
    stranger = api(make_user("provider"))
    assert c.usage(0, 2, caller=stranger).status_code == 404


def test_auto_fund_is_the_brands_switch(app, api, make_user):
    c = periodic_contract(app, api, make_user)
    assert c.provider.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True}).status_code == 403
    r = c.brand.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True})
    assert r.status_code == 200 and r.json["auto_fund"] is True


def test_notice_ends_after_the_next_period_and_leaves_funded_money_alone(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=4)
    c.deposit(3 * 115000_00)
    c.fund(0)
    c.fund(2)  # funded ahead: it still settles by the normal rules
    r = c.provider.post(f"/contracts/{c.contract_id}/notice", json={})
    assert r.status_code == 200 and r.json["ends_after_period"] == 1  # period 1 runs now; period 2 is the notice
    assert [m["status"] for m in r.json["milestones"]] == ["funded", "pending", "funded", "cancelled"]
    assert balances(c.brand) == {"brand_wallet": 115000_00}
    assert c.brand.post(f"/contracts/{c.contract_id}/periods", json={"periods": 6}).status_code == 409


def test_ending_now_needs_both_parties(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3)
    c.deposit(115000_00)
    c.fund(0)
    r = c.brand.post(f"/contracts/{c.contract_id}/notice", json={"immediate": True})
    assert r.json["end_now_asked_by"] == "brand" and r.json["ends_after_period"] is None
    assert c.brand.post(f"/contracts/{c.contract_id}/notice", json={"immediate": True}).json[
        "ends_after_period"] is None  # asking twice is not agreeing
    r = c.provider.post(f"/contracts/{c.contract_id}/notice", json={"immediate": True})
    assert r.json["ends_after_period"] == 0
    assert [m["status"] for m in r.json["milestones"]] == ["funded", "cancelled", "cancelled"]
    c.deliver(0)
    c.accept(0)
    assert c.contract()["status"] == "completed"


def test_the_number_of_periods_changes_with_the_providers_consent(app, api, make_user):
    c = periodic_contract(app, api, make_user, periods=3)
    r = c.brand.post(f"/contracts/{c.contract_id}/periods", json={"periods": 37})
    assert r.status_code == 422 and "periods" in r.json["error"]["fields"]
    assert c.brand.post(f"/contracts/{c.contract_id}/periods", json={"periods": 5}).json["periods_proposed"] == 5
    assert len(c.contract()["milestones"]) == 3  # not before the provider agrees
    r = c.provider.post(f"/contracts/{c.contract_id}/periods", json={"periods": 4})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_proposed"
    r = c.provider.post(f"/contracts/{c.contract_id}/periods", json={"periods": 5})
    periods = r.json["milestones"]
    assert [m["period_index"] for m in periods] == [0, 1, 2, 3, 4]
    assert periods[3]["starts_at"] == periods[2]["due_at"] and periods[4]["amount"] == 115000_00
    c.brand.post(f"/contracts/{c.contract_id}/periods", json={"periods": 2})
    r = c.provider.post(f"/contracts/{c.contract_id}/periods", json={"periods": 2})
    assert [m["status"] for m in r.json["milestones"]] == ["pending"] * 2 + ["cancelled"] * 3


def test_a_reviews_weighing_amount_follows_the_contracts_amount_when_the_periods_change(app, api, make_user):
    """A review weighs in the provider's rating by its contract's amount, which it carries on its row
    (Review.weighing_amount, for the nightly aggregate): more or fewer periods change that amount, and the
    review's copy with it."""
    c = periodic_contract(app, api, make_user, periods=3)

    def amounts() -> tuple[int, int]:
        with app.app_context():
            return (db.session.get(Contract, c.contract_id).amount,
                    db.session.scalar(select(Review.weighing_amount).where(Review.contract_id == c.contract_id)))

    with app.app_context():
        contract = db.session.get(Contract, c.contract_id)
        db.session.add(Review(contract_id=contract.id, author_id=contract.brand_id, subject_id=contract.provider_id,
                              author_role="brand", quality=5, communication=5, timeliness=5, professionalism=5))
        db.session.commit()
    before = amounts()
    assert before[1] == before[0] > 0  # filled from the contract when written
    for periods in (5, 2):
        assert c.brand.post(f"/contracts/{c.contract_id}/periods", json={"periods": periods}).status_code == 200
        assert c.provider.post(f"/contracts/{c.contract_id}/periods", json={"periods": periods}).status_code == 200
        contract_amount, review_amount = amounts()
        assert contract_amount != before[0] and review_amount == contract_amount
        before = (contract_amount, review_amount)
