"""Best and final offers (issue 15 item 5): the owner or procurement reopens shortlisted bids with a new
close date; invited providers may lower (never raise) their price and change their plan; final offers
stay sealed until the close; the board shows first and final offers; the award — and so the money the
brand funds — uses the final offer. Bad input changes nothing."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from extensions import db
from models import BafoRound, Bid, Milestone, Notification, OutgoingMail, User
from services import funding, ledger
from services.accounts import create_admin
from tests.support.factories import bid_payload, tender_payload
from tests.support.orgs import new_account, team, token_for
from tests.support.web import PASSWORD, signed_in

FIRST, FINAL = 450000_00, 420000_00


def _later(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def shortlist(app, client):
    """A two-envelope tender with three bids: two passed, one failed, prices open."""
    org = team(app, client, "brand", ("procurement", "finance", "evaluator"))
    proc = org["procurement"][1]
    tid = proc.post("/tenders", json=tender_payload(two_envelope=True)).json["id"]
    bids, providers = [], []
    for i, price in enumerate((FIRST, 470000_00, 300000_00)):
        _, email = new_account(app, "provider", name=f"Bidder {i}")
        p = token_for(client, email)
        bids.append(p.post(f"/tenders/{tid}/bids", json=bid_payload(price)).json["id"])
        providers.append((p, email))
    assert proc.post(f"/tenders/{tid}/close").status_code == 200
    assert proc.post(f"/tenders/{tid}/envelopes/technical/open").status_code == 200
    assert proc.post(f"/bids/{bids[0]}/technical", json={"passed": True}).status_code == 200
    assert proc.post(f"/bids/{bids[1]}/technical", json={"passed": True}).status_code == 200
    assert proc.post(f"/bids/{bids[2]}/technical", json={"passed": False, "reason": "No trainers"}).status_code == 200
    return {"org": org, "proc": proc, "tid": tid, "bids": bids, "providers": providers}


def _rounds(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BafoRound))


def test_bafo_before_prices_open_or_on_a_bid_not_shortlisted_changes_nothing(app, shortlist):
    proc, tid, bids = shortlist["proc"], shortlist["tid"], shortlist["bids"]
    r = proc.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0]], "closes_at": _later(48)})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_shortlisted"  # prices still sealed
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").status_code == 200
    r = proc.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0], bids[2]], "closes_at": _later(48)})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_shortlisted"  # the failed bid
    assert f"#{bids[2]}" in r.json["error"]["message"]
    for bad in ({"bid_ids": [], "closes_at": _later(48)},
                {"bid_ids": [bids[0]], "closes_at": _later(0.5)},  # too soon
                {"bid_ids": [bids[0]], "closes_at": _later(24 * 90)},  # too far
                {"bid_ids": [bids[0]], "closes_at": "tomorrow"},
                {"bid_ids": [bids[0], 999999], "closes_at": _later(48)}):
        r = proc.post(f"/tenders/{tid}/bafo", json=bad)
        assert r.status_code == 422, (bad, r.json)
    # roles: finance and evaluators do not run it; another organisation does not see it; providers cannot
    assert shortlist["org"]["finance"][1].post(f"/tenders/{tid}/bafo", json={
        "bid_ids": [bids[0]], "closes_at": _later(48)}).status_code == 403
    assert shortlist["providers"][0][0].post(f"/tenders/{tid}/bafo", json={
        "bid_ids": [bids[0]], "closes_at": _later(48)}).status_code == 403
    assert _rounds(app) == 0
    with app.app_context():
        assert all(db.session.get(Bid, b).bafo_round_id is None for b in bids)


def test_final_offer_lowers_the_price_stays_sealed_and_the_award_funds_it(app, client, shortlist):
    proc, tid, bids, providers = shortlist["proc"], shortlist["tid"], shortlist["bids"], shortlist["providers"]
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").status_code == 200
    # a final offer before any round: refused
    p0 = providers[0][0]
    assert p0.post(f"/bids/{bids[0]}/final-offer", json=bid_payload(FINAL)).json["error"]["code"] == "no_bafo"
    r = proc.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0], bids[1]], "closes_at": _later(48)})
    assert r.status_code == 201 and r.json["open"], r.json
    assert proc.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0]], "closes_at": _later(48)}
                     ).json["error"]["code"] == "bafo_open"
    with app.app_context():  # invited providers are told in the app and by e-mail
        invited = {db.session.get(Bid, b).provider_id for b in bids[:2]}
        told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "bafo_invited")))
        assert told == invited
        mailed = set(db.session.scalars(select(OutgoingMail.to_address).where(OutgoingMail.kind == "notification")))
        assert {providers[0][1], providers[1][1]} <= mailed
    # never above the offer the round opened with; the plan must still add up; someone else's bid is 404
    r = p0.post(f"/bids/{bids[0]}/final-offer", json=bid_payload(FIRST + 100))
    assert r.status_code == 422 and "amount" in r.json["error"]["fields"]
    assert providers[1][0].post(f"/bids/{bids[0]}/final-offer", json=bid_payload(FINAL)).status_code == 404
    assert providers[2][0].post(f"/bids/{bids[2]}/final-offer", json=bid_payload(FINAL)).status_code == 409
    plan = bid_payload(FINAL, delivery_days=60, milestones=[
        {"title": "Set-up and training", "amount": 140000_00, "due_days": 10},
        {"title": "Service to KPI review", "amount": FINAL - 140000_00, "due_days": 60}])
    r = p0.post(f"/bids/{bids[0]}/final-offer", json=plan)
    assert r.status_code == 200 and r.json["amount"] == FINAL, r.json
    # sealed from the brand until the round closes, and no award meanwhile
    seen = proc.get(f"/bids/{bids[0]}").json
    assert seen["amount"] is None and seen["price_sealed"]
    assert seen["first_offer"]["amount"] == FIRST  # known before the round: the web board shows it too
    outsider = providers[1][0].get(f"/bids/{bids[0]}")
    assert outsider.status_code == 404
    assert proc.post(f"/tenders/{tid}/award", json={"bid_id": bids[0]}).json["error"]["code"] == "bafo_open"
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=49), tick=True):
        assert p0.post(f"/bids/{bids[0]}/final-offer", json=bid_payload(FINAL - 100)).status_code == 409
        seen = proc.get(f"/bids/{bids[0]}").json
        assert seen["amount"] == FINAL and seen["first_offer"]["amount"] == FIRST
        board = signed_in(app, shortlist["org"]["owner"][0]).get(f"/tenders/{tid}/evaluate").get_data(as_text=True)
        assert f'data-testid="first-offer-{bids[0]}"' in board and f'data-testid="final-offer-{bids[0]}"' in board
        assert "450,000.00" in board and "420,000.00" in board
        r = proc.post(f"/tenders/{tid}/award", json={"bid_id": bids[0]})
        assert r.status_code in (200, 201), r.json
        contract_id = r.json["contract_id"]
    # the finance member funds the first milestone: the final plan's first amount moves into escrow
    contract = shortlist["org"]["finance"][1].get(f"/contracts/{contract_id}").json
    assert contract["amount"] == FINAL
    first = contract["milestones"][0]
    assert first["amount"] == 140000_00 and len(contract["milestones"]) == 2
    with app.app_context():
        staff = create_admin(email="staff-bafo@example.com", password=PASSWORD)
        funding.record_deposit(staff, db.session.get(User, shortlist["org"]["owner"][0]), 10**9, "CNY", "BAFO-1")
        db.session.commit()
    r = shortlist["org"]["finance"][1].post(f"/milestones/{first['id']}/fund")
    assert r.status_code == 200 and r.json["status"] == "funded", r.json
    with app.app_context():
        assert ledger.balance(ledger.escrow(db.session.get(Milestone, first["id"]))) == 140000_00


def test_on_an_ordinary_tender_the_shortlist_is_the_last_round(app, client):
    org = team(app, client, "brand", ())
    owner = org["owner"][1]
    tid = owner.post("/tenders", json=tender_payload(rounds=["proposal", "pitch"])).json["id"]
    bids = []
    for i in range(2):
        _, email = new_account(app, "provider", name=f"Round {i}")
        bids.append(token_for(client, email).post(f"/tenders/{tid}/bids", json=bid_payload()).json["id"])
    assert owner.post(f"/tenders/{tid}/close").status_code == 200
    assert owner.post(f"/bids/{bids[0]}/advance", json={}).status_code == 200
    r = owner.post(f"/tenders/{tid}/bafo", json={"bid_ids": bids, "closes_at": _later(24)})
    assert r.status_code == 409 and r.json["error"]["code"] == "not_shortlisted"  # the second is still in round 1
    assert _rounds(app) == 0
    r = owner.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0]], "closes_at": _later(24)})
    assert r.status_code == 201 and r.json["open"]
    assert owner.get(f"/bids/{bids[0]}").json["final_offer_closes_at"] and not owner.get(f"/bids/{bids[1]}").json[
        "final_offer_closes_at"]


def test_the_final_offer_form_refuses_a_higher_price_and_changes_nothing(app, client, shortlist):
    proc, tid, bids = shortlist["proc"], shortlist["tid"], shortlist["bids"]
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").status_code == 200
    assert proc.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bids[0]], "closes_at": _later(24)}).status_code == 201
    with app.app_context():
        seller_id = db.session.get(Bid, bids[0]).provider_id
    web = signed_in(app, seller_id)
    page = web.get(f"/bids/{bids[0]}/final-offer")
    assert page.status_code == 200 and 'data-testid="final-offer-rules"' in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "amount": "460000", "delivery_days": "90",
            "proposal": "A dedicated team of 40 agents with a QA lead and weekly reports.",
            "milestones-0-title": "All of it", "milestones-0-amount": "460000", "milestones-0-due_days": "90"}
    r = web.post(f"/bids/{bids[0]}/final-offer", data=form)
    assert r.status_code == 422 and "最终报价不得高于本轮开始时您的报价" in r.get_data(as_text=True)  # zh by default
    with app.app_context():
        bid = db.session.get(Bid, bids[0])
        assert bid.amount == FIRST and bid.revision == 1 and bid.final_offer_at is None
    # another provider's bid, or one not invited: no form
    assert signed_in(app, seller_id).get(f"/bids/{bids[1]}/final-offer").status_code == 404


def test_a_metered_final_offer_cannot_raise_its_unit_price(app, client):
    """The BAFO ceiling reads a metered bid's cap; its unit price is the price, and it may only go down."""
    org = team(app, client, "brand", ())
    owner = org["owner"][1]
    tid = owner.post("/tenders", json=tender_payload(engagement="metered", periods=2, period_days=30, unit="photo",
                                                     category="photography", kpis=[], rounds=["proposal"])).json["id"]
    _, email = new_account(app, "provider", name="Metered bidder")
    provider = token_for(client, email)
    offer = {"unit_price": 50_00, "cap_per_period": 1000_00, "currency": "CNY", "delivery_days": 30,
             "proposal": "Product photos on white, retouched, delivered within two days of each shoot."}
    bid = provider.post(f"/tenders/{tid}/bids", json=offer)
    assert bid.status_code == 201, bid.json
    assert owner.post(f"/tenders/{tid}/close").status_code == 200
    assert owner.post(f"/tenders/{tid}/bafo", json={"bid_ids": [bid.json["id"]], "closes_at": _later(24)}
                      ).status_code == 201
    r = provider.post(f"/bids/{bid.json['id']}/final-offer", json={**offer, "unit_price": 80_00})
    assert r.status_code == 422 and "unit_price" in r.json["error"]["fields"]
    with app.app_context():
        assert db.session.get(Bid, bid.json["id"]).unit_price == 50_00
    r = provider.post(f"/bids/{bid.json['id']}/final-offer", json={**offer, "unit_price": 45_00})
    assert r.status_code == 200, r.json
