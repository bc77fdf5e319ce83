"""PATCH /api/v1/bids/{id} takes a partial body, as its name promises (issue 20): the fields sent change,
the others keep their value, and the whole bid is checked again."""
from tests.support.factories import bid_payload


def test_a_partial_revision_changes_only_what_is_sent(market):
    m = market(2)
    bid = m.bid(0, 450000_00)
    seller = m.providers[0]
    r = seller.patch(f"/bids/{bid['id']}", json={"proposal": "We add a night shift at no extra cost."})
    assert r.status_code == 200, r.json
    assert r.json["proposal"] == "We add a night shift at no extra cost." and r.json["revision"] == 2
    assert (r.json["amount"], r.json["delivery_days"]) == (bid["amount"], bid["delivery_days"])
    assert [x["amount"] for x in r.json["milestones"]] == [x["amount"] for x in bid["milestones"]]
    r = seller.patch(f"/bids/{bid['id']}", json={"delivery_days": 120})
    assert r.status_code == 200 and r.json["delivery_days"] == 120
    assert r.json["proposal"] == "We add a night shift at no extra cost."  # the earlier change stays
    revisions = seller.get(f"/bids/{bid['id']}/revisions").json["items"]
    assert len(revisions) == 3


def test_a_new_total_must_still_match_the_plan(market):
    m = market(1)
    bid = m.bid(0, 450000_00)
    seller = m.providers[0]
    r = seller.patch(f"/bids/{bid['id']}", json={"amount": 420000_00})  # the plan still adds up to 450,000
    assert r.status_code == 422, r.json
    assert seller.get(f"/bids/{bid['id']}").json["amount"] == 450000_00  # refused: nothing changed
    plan = bid_payload(420000_00)["milestones"]
    r = seller.patch(f"/bids/{bid['id']}", json={"amount": 420000_00, "milestones": plan})
    assert r.status_code == 200 and r.json["amount"] == 420000_00


def test_empty_nulls_and_strangers_are_refused(market):
    m = market(2)
    bid = m.bid(0, 450000_00)
    seller = m.providers[0]
    assert seller.patch(f"/bids/{bid['id']}", json={}).status_code == 422
    r = seller.patch(f"/bids/{bid['id']}", json={"proposal": None})
    assert r.status_code == 422 and "proposal" in r.json["error"]["fields"]
    assert seller.patch(f"/bids/{bid['id']}", json={"delivery_days": 0}).status_code in (400, 422)
    assert m.providers[1].patch(f"/bids/{bid['id']}", json={"proposal": "mine now"}).status_code == 404
    assert seller.get(f"/bids/{bid['id']}").json["revision"] == 1
