"""Two envelopes (issue 15 item 4): technical envelopes open first and each bid passes or fails on
them; no price is visible to anyone but its bidder — on the API, the web pages, the board, webhooks —
until the price envelopes open; each opening is recorded and shown to bidders; nothing reseals."""
import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Notification, TenderEnvelopes, WebhookEvent
from models.status import IllegalTransition, transition
from tests.support.factories import bid_payload, tender_payload
from tests.support.orgs import new_account, team, token_for
from tests.support.web import signed_in

PRICES = (450000_00, 398000_00, 512000_00)


@pytest.fixture
def sealed(app, client):
    """A two-envelope tender by a brand team, three bids, bidding closed; nothing opened yet."""
    org = team(app, client, "brand", ("procurement", "finance", "viewer"))
    proc = org["procurement"][1]
    r = proc.post("/tenders", json=tender_payload(two_envelope=True))
    assert r.status_code == 201, r.json
    assert r.json["two_envelope"] and r.json["sealed_opening"] and r.json["envelopes"]["stage"] == "sealed"
    tid = r.json["id"]
    bids, providers = [], []
    for i, price in enumerate(PRICES):
        _, email = new_account(app, "provider", name=f"Provider {i}")
        p = token_for(client, email)
        rb = p.post(f"/tenders/{tid}/bids", json=bid_payload(price))
        assert rb.status_code == 201, rb.json
        bids.append(rb.json["id"])
        providers.append(p)
    assert proc.post(f"/tenders/{tid}/close").status_code == 200
    return {"org": org, "proc": proc, "tid": tid, "bids": bids, "providers": providers}


def _prices_hidden(answer: dict) -> bool:
    return answer["amount"] is None and all(m["amount"] is None for m in answer["milestones"] or [])


def test_nothing_opens_until_the_technical_envelopes_do(sealed):
    proc, tid, bid = sealed["proc"], sealed["tid"], sealed["bids"][0]
    r = proc.get(f"/bids/{bid}")
    assert r.status_code == 200 and r.json["sealed"] and r.json["proposal"] is None and r.json["amount"] is None
    assert proc.post(f"/bids/{bid}/scores", json={"score": 50}).status_code == 409
    assert proc.post(f"/bids/{bid}/technical", json={"passed": True}).status_code == 409
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").json["error"]["code"] == "technical_sealed"
    # the bidder always sees its own price
    mine = sealed["providers"][0].get(f"/bids/{bid}").json
    assert mine["amount"] == PRICES[0] and not mine["price_sealed"]


def test_technical_stage_shows_proposals_but_no_price_anywhere(app, client, sealed):
    proc, tid, bids = sealed["proc"], sealed["tid"], sealed["bids"]
    r = proc.post(f"/tenders/{tid}/envelopes/technical/open")
    assert r.status_code == 200 and r.json["stage"] == "technical" and r.json["technical_opened_at"]
    for viewer in (proc, sealed["org"]["owner"][1]):
        one = viewer.get(f"/bids/{bids[0]}").json
        assert one["proposal"] and one["price_sealed"] and _prices_hidden(one)
        assert one["milestones"][0]["title"] == "Team set-up and training"
        listed = viewer.get(f"/tenders/{tid}/bids").json["items"]
        assert len(listed) == 3 and all(_prices_hidden(b) for b in listed)
        revisions = viewer.get(f"/bids/{bids[0]}/revisions").json["items"]
        assert revisions and all(rv["amount"] is None and rv["milestones"][0]["amount"] is None for rv in revisions)
    # the web pages: the bid page and the evaluation board show no amount
    web = signed_in(app, sealed["org"]["owner"][0])
    for url in (f"/bids/{bids[0]}", f"/tenders/{tid}/evaluate"):
        page = web.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        assert "450,000" not in text and "398,000" not in text and "512,000" not in text, url
        assert 'data-testid="price-sealed"' in text, url
    # webhooks never carry an amount
    with app.app_context():
        for event in db.session.scalars(select(WebhookEvent)):
            assert "amount" not in json.dumps(event.data)


def test_pass_fail_then_prices_open_once_and_never_reseal(app, sealed):
    proc, tid, bids, providers = sealed["proc"], sealed["tid"], sealed["bids"], sealed["providers"]
    assert proc.post(f"/tenders/{tid}/envelopes/technical/open").status_code == 200
    again = proc.post(f"/tenders/{tid}/envelopes/technical/open")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_opened"
    assert proc.post(f"/bids/{bids[0]}/technical", json={"passed": True}).status_code == 200
    # failing needs a reason; judging twice is refused; prices wait for every verdict
    assert proc.post(f"/bids/{bids[1]}/technical", json={"passed": False}).status_code == 422
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").json["error"]["code"] == "technical_pending"
    assert proc.post(f"/bids/{bids[1]}/technical", json={"passed": False, "reason": "No licensed centre"}
                     ).json["status"] == "rejected"
    assert proc.post(f"/bids/{bids[2]}/technical", json={"passed": True}).status_code == 200
    assert proc.post(f"/bids/{bids[0]}/technical", json={"passed": False, "reason": "changed mind"}
                     ).status_code == 409
    r = proc.post(f"/tenders/{tid}/envelopes/price/open")
    assert r.status_code == 200 and r.json["stage"] == "price" and r.json["price_opened_at"]
    again = proc.post(f"/tenders/{tid}/envelopes/price/open")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_opened"
    assert proc.get(f"/bids/{bids[0]}").json["amount"] == PRICES[0]
    assert proc.post(f"/bids/{bids[0]}/technical", json={"passed": True}).status_code == 409
    # every bidder sees when each stage opened, publicly and in its notifications
    public = providers[1].get(f"/tenders/{tid}/envelopes").json
    assert public["stage"] == "price" and public["technical_opened_at"] and public["price_opened_at"]
    with app.app_context():
        env = db.session.get(TenderEnvelopes, tid)
        assert env.technical_opened_by_id == sealed["org"]["procurement"][0]
        assert env.price_opened_by_id == sealed["org"]["procurement"][0]
        kinds = [n.kind for n in db.session.scalars(select(Notification))]
        assert kinds.count("technical_opened") >= 3 and kinds.count("prices_opened") >= 3
        # the database refuses a stage without its record, and any stage it does not know
        for stage in ("sealed", "technical", "opened"):  # a stage without its record, or unknown
            env = db.session.get(TenderEnvelopes, tid)
            env.status = stage
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
        # and the code refuses to move back: nothing reseals
        env = db.session.get(TenderEnvelopes, tid)
        with pytest.raises(IllegalTransition):
            transition(env, "technical")


def test_award_needs_the_price_opening_and_only_owner_or_procurement_open(app, sealed):
    org, tid, bids = sealed["org"], sealed["tid"], sealed["bids"]
    for role in ("finance", "viewer"):
        assert org[role][1].post(f"/tenders/{tid}/envelopes/technical/open").status_code == 403
    assert sealed["providers"][0].post(f"/tenders/{tid}/envelopes/technical/open").status_code == 403
    proc = sealed["proc"]
    assert proc.post(f"/tenders/{tid}/envelopes/technical/open").status_code == 200
    for bid in bids:
        assert proc.post(f"/bids/{bid}/technical", json={"passed": True}).status_code == 200
    r = proc.post(f"/tenders/{tid}/award", json={"bid_id": bids[1]})
    assert r.status_code == 409 and r.json["error"]["code"] == "prices_sealed"
    assert proc.post(f"/tenders/{tid}/envelopes/price/open").status_code == 200
    r = proc.post(f"/tenders/{tid}/award", json={"bid_id": bids[1]})
    assert r.status_code in (200, 201), r.json


def test_an_ordinary_tender_has_no_envelopes(sealed):
    proc = sealed["proc"]
    tid = proc.post("/tenders", json=tender_payload()).json["id"]
    assert proc.get(f"/tenders/{tid}/envelopes").status_code == 404
    r = proc.post(f"/tenders/{tid}/envelopes/technical/open")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_two_envelope"
