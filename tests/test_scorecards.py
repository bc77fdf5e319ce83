"""Scorecards (issue 15): weighted criteria per round, a panel of the brand's members that declares
conflicts and grades each bid 0–10 per criterion in private, the round's owner closing grading and
settling a consensus, and the board — over the API."""
import pytest

from tests.support.factories import bid_payload, tender_payload
from tests.support.orgs import join, new_account, team, token_for

PROPOSAL = [{"name": "staffing plan", "weight": 30}, {"name": "training", "weight": 20},
            {"name": "KPI commitments", "weight": 30}, {"name": "references", "weight": 20}]
ALL_TENS = {c["name"]: 10 for c in PROPOSAL}


@pytest.fixture
def event(app, client):
    """A brand team with a scorecard tender, two provider bids, bidding closed, and two evaluators plus
    procurement on the panel."""
    org = team(app, client, "brand", ("procurement", "evaluator", "finance"))
    org["evaluator2"] = join(app, client, org["owner"][1], "brand", "evaluator")
    proc = org["procurement"][1]
    r = proc.post("/tenders", json=tender_payload(
        rounds=["proposal", "pitch"], blind_grading=True,
        criteria={"proposal": PROPOSAL + [{"name": "licensed call centre", "deal_breaker": True}]}))
    assert r.status_code == 201, r.json
    tender_id = r.json["id"]
    bids, providers = [], []
    for name in ("Shanghai Service Co", "Hangzhou Chat Ltd"):
        _, email = new_account(app, "provider", name=name)
        p = token_for(client, email)
        rb = p.post(f"/tenders/{tender_id}/bids", json=bid_payload())
        assert rb.status_code == 201, rb.json
        bids.append(rb.json["id"])
        providers.append(p)
    assert proc.post(f"/tenders/{tender_id}/close").status_code == 200
    panel = [org["evaluator"][0], org["evaluator2"][0], org["procurement"][0]]
    r = proc.post(f"/tenders/{tender_id}/panel", json={"user_ids": panel})
    assert r.status_code == 200, r.json
    return {"org": org, "tender_id": tender_id, "bids": bids, "providers": providers}


def test_weights_must_sum_to_100_and_belong_to_a_round(app, client):
    org = team(app, client, "brand", ())
    owner = org["owner"][1]
    for criteria in ({"proposal": [{"name": "a", "weight": 60}, {"name": "b", "weight": 30}]},
                     {"pitch": PROPOSAL},  # not one of the tender's rounds
                     {"proposal": [{"name": "a", "weight": 50}, {"name": "a", "weight": 50}]},
                     {"proposal": [{"name": "a", "weight": 100}, {"name": "x", "weight": 5, "deal_breaker": True}]}):
        r = owner.post("/tenders", json=tender_payload(rounds=["proposal"], criteria=criteria))
        assert r.status_code == 422, (criteria, r.json)
        assert "criteria" in r.json["error"]["fields"]
    r = owner.post("/tenders", json=tender_payload(rounds=["proposal"], criteria={"proposal": PROPOSAL}))
    assert r.status_code == 201
    assert [c["weight"] for c in r.json["criteria"]["proposal"]] == [30, 20, 30, 20]


def test_panel_is_members_of_the_tenders_organisation_who_may_grade(app, client, event):
    org, tid = event["org"], event["tender_id"]
    other = team(app, client, "brand", ("evaluator",))
    proc = org["procurement"][1]
    for ids in ([other["evaluator"][0]], [org["finance"][0]]):
        r = proc.post(f"/tenders/{tid}/panel", json={"user_ids": ids})
        assert r.status_code == 422, r.json
    assert org["evaluator"][1].post(f"/tenders/{tid}/panel", json={"user_ids": []}).status_code == 403
    assert org["finance"][1].post(f"/tenders/{tid}/panel", json={"user_ids": []}).status_code == 403
    assert other["owner"][1].post(f"/tenders/{tid}/panel", json={"user_ids": []}).status_code == 404
    assert other["owner"][1].get(f"/tenders/{tid}/board").status_code == 404


def test_bid_contents_stay_404_until_the_panel_member_declares(event):
    org, tid, bid = event["org"], event["tender_id"], event["bids"][0]
    ev = org["evaluator"][1]
    assert ev.get(f"/bids/{bid}").status_code == 404
    assert ev.get(f"/tenders/{tid}/bids").status_code == 404
    assert ev.post(f"/bids/{bid}/grades", json={"round": "proposal", "scores": ALL_TENS}).status_code == 404
    assert org["finance"][1].post(f"/tenders/{tid}/declarations", json={"conflict": False}).status_code == 403
    r = ev.post(f"/tenders/{tid}/declarations", json={"conflict": False})
    assert r.status_code == 201 and r.json["conflict"] is False
    assert ev.post(f"/tenders/{tid}/declarations", json={"conflict": False}).status_code == 409
    assert ev.get(f"/bids/{bid}").status_code == 200
    # an evaluator off the panel opens nothing
    assert org["owner"][1].post(f"/tenders/{tid}/panel", json={"user_ids": [org["procurement"][0]]}).status_code == 200
    assert ev.get(f"/bids/{bid}").status_code == 404


def test_declared_conflict_is_shown_to_the_owner_who_removes_the_member(event):
    org, tid = event["org"], event["tender_id"]
    ev2 = org["evaluator2"]
    assert ev2[1].post(f"/tenders/{tid}/declarations", json={"conflict": True}).status_code == 422  # say what
    r = ev2[1].post(f"/tenders/{tid}/declarations", json={"conflict": True, "note": "My brother runs bidder 2."})
    assert r.status_code == 201
    seats = {s["user_id"]: s for s in org["owner"][1].get(f"/tenders/{tid}/board").json["panel"]}
    assert seats[ev2[0]]["conflict"] is True and seats[ev2[0]]["note"] == "My brother runs bidder 2."
    keep = [u for u in seats if u != ev2[0]]
    r = org["owner"][1].post(f"/tenders/{tid}/panel", json={"user_ids": keep})
    assert [s["user_id"] for s in r.json["members"]] == keep
    assert ev2[1].get(f"/tenders/{tid}/board").status_code == 403
    # back on the panel, the declaration kept with the tender still holds
    r = org["owner"][1].post(f"/tenders/{tid}/panel", json={"user_ids": keep + [ev2[0]]})
    assert next(s for s in r.json["members"] if s["user_id"] == ev2[0])["conflict"] is True


def _declare_all(org, tid):
    for who in ("evaluator", "evaluator2", "procurement"):
        assert org[who][1].post(f"/tenders/{tid}/declarations", json={"conflict": False}).status_code == 201


def test_private_blind_grading_then_board_with_spread_and_consensus(event):
    org, tid, (b1, b2) = event["org"], event["tender_id"], event["bids"]
    _declare_all(org, tid)
    ev, ev2, proc = org["evaluator"][1], org["evaluator2"][1], org["procurement"][1]
    ok = {"licensed call centre": 10}
    assert ev.post(f"/bids/{b1}/grades", json={"round": "proposal", "scores": ALL_TENS | ok}).status_code == 201
    low = {"staffing plan": 5, "training": 5, "KPI commitments": 5, "references": 5} | ok
    assert ev2.post(f"/bids/{b1}/grades", json={"round": "proposal", "scores": low}).status_code == 201
    failing = {"staffing plan": 8, "licensed call centre": 2}
    assert ev.post(f"/bids/{b2}/grades", json={"round": "proposal", "scores": failing}).status_code == 201
    # bad marks change nothing
    for scores in ({"staffing plan": 11}, {"staffing plan": -1}, {"price": 5}, {}):
        r = ev.post(f"/bids/{b1}/grades", json={"round": "proposal", "scores": scores})
        assert r.status_code == 422, (scores, r.json)
    assert ev.post(f"/bids/{b1}/grades", json={"round": "pitch", "scores": {"x": 1}}).status_code == 409
    # before close: each grader sees only its own marks, and a blind grader no names
    board = ev.get(f"/tenders/{tid}/board").json
    line = board["rounds"][0]["bids"][0]
    assert [g["user_id"] for g in line["graders"]] == [org["evaluator"][0]]
    assert line["graders"][0]["weighted_total"] == 100 and line["weighted_mean"] is None
    assert all(b["provider"] is None for b in board["rounds"][0]["bids"])
    assert "Shanghai" not in str(board)
    assert ev.get(f"/bids/{b1}").json["provider"] is None and ev.get(f"/bids/{b1}").json["proposal"]
    assert "Shanghai" not in str(ev.get(f"/tenders/{tid}/bids").json)
    assert proc.get(f"/bids/{b1}").json["provider"]["display_name"] == "Shanghai Service Co"
    assert proc.get(f"/tenders/{tid}/board").json["rounds"][0]["bids"][0]["graders"] == []
    assert proc.get(f"/tenders/{tid}/board").json["rounds"][0]["bids"][0]["provider"]["name"] == "Shanghai Service Co"
    # consensus waits for close; evaluators cannot close
    assert proc.post(f"/bids/{b1}/consensus", json={"round": "proposal", "score": 75}).status_code == 409
    assert ev.post(f"/tenders/{tid}/grading/close", json={"round": "proposal"}).status_code == 403
    r = proc.post(f"/tenders/{tid}/grading/close", json={"round": "proposal"})
    assert r.status_code == 200
    assert proc.post(f"/tenders/{tid}/grading/close", json={"round": "proposal"}).status_code == 409
    assert ev.post(f"/bids/{b1}/grades", json={"round": "proposal", "scores": ALL_TENS}).status_code == 409
    board = ev.get(f"/tenders/{tid}/board").json["rounds"][0]
    line = next(b for b in board["bids"] if b["bid_id"] == b1)
    assert {g["user_id"]: g["weighted_total"] for g in line["graders"]} == {org["evaluator"][0]: 100,
                                                                         org["evaluator2"][0]: 50}
    assert line["weighted_mean"] == 75 and line["spread"] == 50 and line["disagreement"] is True
    # the deal-breaker failed (mean 2 < 5): bid 2 is out of the round, its provider told why
    out = next(b for b in board["bids"] if b["bid_id"] == b2)
    assert out["failed_deal_breakers"] == ["licensed call centre"] and out["status"] == "rejected"
    assert event["providers"][1].get(f"/bids/{b2}").json["status"] == "rejected"
    # consensus: the mean needs no reason, anything else does
    assert proc.post(f"/bids/{b1}/consensus", json={"round": "proposal", "score": 80}).status_code == 422
    r = proc.post(f"/bids/{b1}/consensus", json={"round": "proposal", "score": 80,
                                                 "reason": "References checked by phone: excellent."})
    assert r.status_code == 200 and r.json["reason"].startswith("References")
    assert proc.post(f"/bids/{b1}/consensus", json={"round": "proposal", "score": 75}).status_code == 200
    assert ev.post(f"/bids/{b1}/consensus", json={"round": "proposal", "score": 75}).status_code == 403
    line = next(b for b in proc.get(f"/tenders/{tid}/board").json["rounds"][0]["bids"] if b["bid_id"] == b1)
    assert line["consensus"]["score"] == 75
