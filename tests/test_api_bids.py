"""Bids endpoints of the contract, including every illegal transition answering 409."""
import hashlib
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Bid, BidRevision, Contract, Milestone, ProviderProfile
from services.markdown import render
from tests.support.factories import bid_payload, in_days


def bids_in_db(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Bid))


def test_submit_list_and_read_a_bid(market):
    m = market(2)
    bid = m.bid(0, 450000_00)
    assert bid["status"] == "submitted" and bid["round"] == "proposal" and bid["revision"] == 1
    assert [x["amount"] for x in bid["milestones"]] == [15000000, 15000000, 15000000]
    own = m.providers[0].get(f"/tenders/{m.tender_id}/bids").json
    assert [b["id"] for b in own["items"]] == [bid["id"]]
    m.bid(1, 400000_00)
    brand_view = m.brand.get(f"/tenders/{m.tender_id}/bids").json
    assert brand_view["total"] == 2 and all(b["amount"] for b in brand_view["items"])
    assert m.providers[1].get(f"/tenders/{m.tender_id}/bids").json["total"] == 1
    assert m.brand.get(f"/tenders/{m.tender_id}").json["bid_count"] == 2


def test_bid_endpoints_require_auth_and_the_right_role(market, api, make_user):
    m = market(1)
    assert api().post(f"/tenders/{m.tender_id}/bids", json=bid_payload()).status_code == 401
    assert m.brand.post(f"/tenders/{m.tender_id}/bids", json=bid_payload()).status_code == 403
    assert api().get(f"/tenders/{m.tender_id}/bids").status_code == 401
    assert api(make_user("brand")).get(f"/tenders/{m.tender_id}/bids").status_code == 403  # not the owner
    assert m.providers[0].post("/tenders/999999/bids", json=bid_payload()).status_code == 404


@pytest.mark.parametrize("overrides, field", [
    ({"milestones": [{"title": "All", "amount": 100, "due_days": 10}]}, "milestones"),  # sum ≠ amount
    ({"amount": 0}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"proposal": "too short"}, "proposal"),
    ({"delivery_days": 10}, "milestones"),  # a milestone due after delivery
    ({"milestones": []}, "milestones"),
])
def test_invalid_bids_are_422_and_store_nothing(market, app, overrides, field):
    m = market(1)
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload(**overrides))
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"]
    assert bids_in_db(app) == 0


def test_wrong_types_and_malformed_json_are_400(market, app):
    m = market(1)
    assert m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload(amount=12.5)).status_code == 400
    assert m.providers[0].raw("POST", f"/tenders/{m.tender_id}/bids", b"{").status_code == 400
    assert bids_in_db(app) == 0


def test_one_live_bid_per_provider(market, app):
    m = market(1)
    first = m.bid(0)
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 409 and r.json["error"]["code"] == "bid_exists"
    assert m.providers[0].post(f"/bids/{first['id']}/withdraw").status_code == 200
    m.bid(0)  # after withdrawing, a fresh bid is allowed
    assert bids_in_db(app) == 2


def test_partial_unique_index_is_the_last_guard(market, app):
    """Even a write that skips the service check cannot create a second live bid."""
    m = market(1)
    first = m.bid(0)
    with app.app_context():
        original = db.session.get(Bid, first["id"])
        twin = Bid(tender_id=original.tender_id, provider_id=original.provider_id, amount=1, currency="CNY",
                   delivery_days=1, proposal="x", status="submitted")
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_revise_keeps_history_and_only_while_open(market, app):
    m = market(1)
    bid = m.bid(0, 450000_00)
    revised = m.providers[0].client.patch(f"/api/v1/bids/{bid['id']}", json=bid_payload(420000_00),
                                          headers={"Authorization": f"Bearer {m.providers[0].token}"})
    assert revised.status_code == 200 and revised.json["revision"] == 2 and revised.json["amount"] == 420000_00
    history = m.providers[0].get(f"/bids/{bid['id']}/revisions").json["items"]
    assert [(h["number"], h["amount"]) for h in history] == [(1, 450000_00), (2, 420000_00)]
    m.close()
    after_close = m.providers[0].client.patch(f"/api/v1/bids/{bid['id']}", json=bid_payload(400000_00),
                                              headers={"Authorization": f"Bearer {m.providers[0].token}"})
    assert after_close.status_code == 409
    with app.app_context():
        assert db.session.get(Bid, bid["id"]).amount == 420000_00
        assert db.session.scalar(select(func.count()).select_from(BidRevision)) == 2


def test_another_providers_bid_is_404_everywhere(market):
    m = market(2)
    bid = m.bid(0)
    intruder = m.providers[1]
    assert intruder.get(f"/bids/{bid['id']}").status_code == 404
    assert intruder.post(f"/bids/{bid['id']}/withdraw").status_code == 404
    assert intruder.get(f"/bids/{bid['id']}/revisions").status_code == 404
    patch = intruder.client.patch(f"/api/v1/bids/{bid['id']}", json=bid_payload(),
                                  headers={"Authorization": f"Bearer {intruder.token}"})
    assert patch.status_code == 404


def test_bid_on_closed_cancelled_or_lapsed_tender_is_409(market):
    m = market(3)
    m.close()
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 409 and r.json["error"]["code"] == "tender_not_open"
    m2 = market(1, bid_deadline=in_days(1))
    m2.set_tender(bid_deadline=datetime.now(UTC) - timedelta(seconds=1))
    assert m2.providers[0].post(f"/tenders/{m2.tender_id}/bids", json=bid_payload()).status_code == 409
    m3 = market(1)
    m3.brand.post(f"/tenders/{m3.tender_id}/cancel", json={})
    assert m3.providers[0].post(f"/tenders/{m3.tender_id}/bids", json=bid_payload()).status_code == 409


def test_withdraw_rules(market):
    m = market(2)
    a, b = m.bid(0), m.bid(1)
    m.close()
    assert m.providers[0].post(f"/bids/{a['id']}/withdraw").status_code == 200  # evaluating: allowed
    assert m.providers[0].post(f"/bids/{a['id']}/withdraw").status_code == 409  # twice
    assert m.brand.post(f"/bids/{b['id']}/advance", json={"score": 80}).status_code == 200
    assert m.brand.post(f"/bids/{a['id']}/advance", json={}).status_code == 409  # advance a withdrawn bid


def test_verified_only_and_min_stars(market, app, make_user):
    m = market(1, requires_verified=True)
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 403 and r.json["error"]["code"] == "verification_required"
    with app.app_context():
        db.session.get(ProviderProfile, m.provider_users[0].id).verification_status = "verified"
        db.session.commit()
    m.bid(0)

    m2 = market(1, min_stars=5)
    r = m2.providers[0].post(f"/tenders/{m2.tender_id}/bids", json=bid_payload())
    assert r.status_code == 403 and r.json["error"]["code"] == "stars_required"
    with app.app_context():
        db.session.get(ProviderProfile, m2.provider_users[0].id).stars = 5
        db.session.commit()
    m2.bid(0)


def test_attachments_stored_with_hash_and_served_only_to_allowed(market, make_user, api):
    m = market(2)
    bid = m.bid(0)
    pdf = b"%PDF-1.4\n% proposal deck\n" + b"0" * 2000
    r = m.providers[0].client.post(f"/api/v1/bids/{bid['id']}/attachments",
                                   data={"file": (io.BytesIO(pdf), "../../etc/deck.pdf")},
                                   headers={"Authorization": f"Bearer {m.providers[0].token}"},
                                   content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    assert r.json["sha256"] == hashlib.sha256(pdf).hexdigest() and r.json["filename"] == "deck.pdf"
    url = r.json["url"][len("/api/v1"):]
    got = m.brand.get(url)
    assert got.status_code == 200 and got.data == pdf
    assert "attachment" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert m.providers[1].get(url).status_code == 404
    assert api(make_user("brand")).get(url).status_code == 404
    assert api().get(url).status_code == 401

    html_disguised = b"<html><script>alert(1)</script></html>"
    r = m.providers[0].client.post(f"/api/v1/bids/{bid['id']}/attachments",
                                   data={"file": (io.BytesIO(html_disguised), "deck.pdf")},
                                   headers={"Authorization": f"Bearer {m.providers[0].token}"},
                                   content_type="multipart/form-data")
    assert r.status_code == 422


def test_proposal_markdown_cannot_inject_script():

    class Elements(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    parser = Elements()
    parser.feed(str(render("**bold** <script>alert(1)</script> [x](javascript:alert(2)) "
                           "<img src=x onerror=alert(3)> [ok](https://example.com)")))
    tags = [tag for tag, _ in parser.found]
    assert "strong" in tags and "script" not in tags and "img" not in tags
    links = [attrs for tag, attrs in parser.found if tag == "a"]
    assert links == [{"href": "https://example.com", "rel": "nofollow noopener noreferrer"}]
    assert all(not k.startswith("on") for _, attrs in parser.found for k in attrs)


def test_award_creates_contract_and_rejects_the_rest(market, app):
    m = market(3)
    bids = [m.bid(i, amount) for i, amount in enumerate((450000_00, 420000_00, 480000_00))]
    r = m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": bids[1]["id"]})
    assert r.status_code == 409  # still open: close bidding first
    m.close()
    r = m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": bids[1]["id"]})
    assert r.status_code == 201
    contract_id = r.json["contract_id"]
    statuses = {b["id"]: b["status"] for b in m.brand.get(f"/tenders/{m.tender_id}/bids").json["items"]}
    assert statuses == {bids[0]["id"]: "rejected", bids[1]["id"]: "awarded", bids[2]["id"]: "rejected"}
    assert m.brand.get(f"/tenders/{m.tender_id}").json["status"] == "awarded"
    contract = m.providers[1].get(f"/contracts/{contract_id}").json
    assert contract["amount"] == 420000_00 and contract["provider_id"] == m.provider_users[1].id
    assert [ms["amount"] for ms in contract["milestones"]] == [14000000, 14000000, 14000000]
    assert all(ms["status"] == "pending" for ms in contract["milestones"])
    assert m.providers[0].get(f"/contracts/{contract_id}").status_code == 404

    again = m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": bids[0]["id"]})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_awarded"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contract)) == 1
        assert db.session.scalar(select(func.count()).select_from(Milestone)) == 3


def test_award_errors(market, make_user, api):
    m = market(2)
    a, b = m.bid(0), m.bid(1)
    m.close()
    assert m.providers[0].post(f"/tenders/{m.tender_id}/award", json={"bid_id": a["id"]}).status_code == 403
    assert api(make_user("brand")).post(f"/tenders/{m.tender_id}/award", json={"bid_id": a["id"]}).status_code == 403
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": 999999}).status_code == 404
    m.providers[1].post(f"/bids/{b['id']}/withdraw")
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": b["id"]}).status_code == 409
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": "one"}).status_code == 400


def test_evaluation_rounds_score_advance_reject_and_slots(market, api, make_user):
    m = market(3)
    bids = [m.bid(i) for i in range(3)]
    assert m.brand.post(f"/bids/{bids[0]['id']}/advance", json={}).status_code == 409  # still open
    m.close()
    r = m.brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 85, "note": "Clear staffing plan"})
    assert r.status_code == 200 and r.json["round"] == "pitch"
    assert r.json["scores"] == [{"round": "proposal", "score": 85, "note": "Clear staffing plan"}]
    assert m.brand.post(f"/bids/{bids[1]['id']}/advance", json={"score": 101}).status_code == 422
    r = m.brand.post(f"/bids/{bids[2]['id']}/reject", json={"reason": ""})
    assert r.status_code == 422
    r = m.brand.post(f"/bids/{bids[2]['id']}/reject", json={"reason": "Team too small for 6,000 chats a day"})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert m.brand.post(f"/bids/{bids[2]['id']}/reject", json={"reason": "again and again"}).status_code == 409
    assert m.brand.get(f"/tenders/{m.tender_id}").json["current_round"] == "pitch"

    slot = {"starts_at": in_days(3), "location": "https://meet.example.com/pitch-1", "duration_minutes": 45}
    assert m.brand.post(f"/bids/{bids[1]['id']}/slots", json=slot).status_code == 409  # still in proposal round
    r = m.brand.post(f"/bids/{bids[0]['id']}/slots", json=slot)
    assert r.status_code == 201 and r.json["slots"][0]["location"] == "https://meet.example.com/pitch-1"
    provider_view = m.providers[0].get(f"/bids/{bids[0]['id']}").json
    assert provider_view["slots"][0]["duration_minutes"] == 45
    assert provider_view["scores"] is None  # the brand's notes stay the brand's
    assert m.brand.post(f"/bids/{bids[0]['id']}/slots", json={**slot, "starts_at": in_days(-1)}).status_code == 422
    assert m.providers[0].post(f"/bids/{bids[0]['id']}/advance", json={}).status_code == 403
    assert m.providers[1].post(f"/bids/{bids[0]['id']}/advance", json={}).status_code == 403  # brands only
    assert api(make_user("brand")).post(f"/bids/{bids[0]['id']}/advance", json={}).status_code == 404


def test_cannot_advance_past_the_last_round(market):
    m = market(1, rounds=["proposal", "pitch"])
    bid = m.bid(0)
    m.close()
    assert m.brand.post(f"/bids/{bid['id']}/advance", json={}).status_code == 200
    r = m.brand.post(f"/bids/{bid['id']}/advance", json={})
    assert r.status_code == 409 and r.json["error"]["code"] == "last_round"
    assert m.brand.post(f"/bids/{bid['id']}/scores", json={"score": 90, "note": "Great pitch"}).status_code == 200


def test_sealed_tender_hides_other_bids_and_count_from_providers(market):
    m = market(2, sealed=True)
    a, b = m.bid(0, 450000_00), m.bid(1, 410000_00)
    for i, own in ((0, a), (1, b)):
        view = m.providers[i].get(f"/tenders/{m.tender_id}/bids").json
        assert [x["id"] for x in view["items"]] == [own["id"]]
        assert m.providers[i].get(f"/tenders/{m.tender_id}").json["bid_count"] is None
    assert m.providers[0].get(f"/bids/{b['id']}").status_code == 404
    assert m.brand.get(f"/tenders/{m.tender_id}").json["bid_count"] == 2
    m.close()
    m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": b["id"]})
    assert m.providers[0].get(f"/tenders/{m.tender_id}").json["bid_count"] == 2  # shown after award


def test_sealed_opening_hides_contents_even_from_the_brand_until_close(market):
    m = market(2, sealed_opening=True)
    a = m.bid(0, 450000_00)
    items = m.brand.get(f"/tenders/{m.tender_id}/bids").json["items"]
    assert len(items) == 1 and items[0]["sealed"] is True
    assert items[0]["amount"] is None and items[0]["proposal"] is None and items[0]["milestones"] is None
    assert items[0]["provider"] is None  # nor who bid (as the brand's notifications say only "a sealed bid")
    assert m.providers[0].get(f"/bids/{a['id']}").json["provider"]["id"]  # the bidder sees its own bid whole
    assert m.brand.post(f"/bids/{a['id']}/reject", json={"reason": "shopping around"}).status_code == 409
    m.close()
    items = m.brand.get(f"/tenders/{m.tender_id}/bids").json["items"]
    assert items[0]["sealed"] is False and items[0]["amount"] == 450000_00 and items[0]["provider"]["display_name"]


def test_slot_far_in_the_future_is_422(market):
    m = market(1, rounds=["pitch"])
    bid = m.bid(0)
    m.close()
    r = m.brand.post(f"/bids/{bid['id']}/slots", json={"starts_at": "9999-12-31T23:59:00-05:00", "location": "here"})
    assert r.status_code == 422
    later = m.brand.post(f"/bids/{bid['id']}/slots", json={"starts_at": in_days(800), "location": "here"})
    assert later.status_code == 422


def test_withdrawn_bid_cannot_be_awarded_afterwards(market):
    m = market(2)
    a, b = m.bid(0), m.bid(1)
    m.close()
    assert m.providers[0].post(f"/bids/{a['id']}/withdraw").status_code == 200
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": a["id"]}).status_code == 409
    assert m.brand.post(f"/tenders/{m.tender_id}/award", json={"bid_id": b["id"]}).status_code == 201
