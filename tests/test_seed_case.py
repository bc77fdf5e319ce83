from tests.support.factories import bid_payload, in_days, tender_payload

"""The seed case end to end: a national apparel brand's customer-service outsourcing tender, five
providers, written proposal → pitch presentation → on-site inspection, one award, a contract with
three milestones."""


def test_apparel_brand_customer_service_tender(api, make_user, app):
    brand = api(make_user("brand", display_name="Hanfeng Apparel"))
    r = brand.post("/tenders", json=tender_payload(
        sealed=True, rounds=["proposal", "pitch", "site_visit"],
        kpis=[{"name": "first-response time", "target": 30, "unit": "s"},
              {"name": "conversion rate", "target": 52, "unit": "%"}]))
    tender_id = r.json["id"]
    names = ["Yunke CS", "Xinyu Service", "Tianma Ops", "Haitang CS", "Beiji Service"]
    users = [make_user("provider", display_name=name) for name in names]
    providers = [api(u) for u in users]

    # Questions while open; the answer reaches every bidder.
    bids = [providers[i].post(f"/tenders/{tender_id}/bids", json=bid_payload(amount)).json
            for i, amount in enumerate((450000_00, 420000_00, 500000_00, 390000_00, 470000_00))]
    q = providers[3].post(f"/tenders/{tender_id}/questions", json={"question": "Peak-season volume?"}).json
    brand.post(f"/questions/{q['id']}/answer", json={"answer": "Up to 9,000 chats on 11.11."})
    assert brand.post(f"/tenders/{tender_id}/close").json["status"] == "evaluating"

    # Round 1, written proposal: three go through, two are turned down with reasons.
    for i, score in ((0, 88), (1, 84), (4, 80)):
        assert brand.post(f"/bids/{bids[i]['id']}/advance", json={"score": score}).json["round"] == "pitch"
    brand.post(f"/bids/{bids[2]['id']}/reject", json={"reason": "Over budget."})
    brand.post(f"/bids/{bids[3]['id']}/reject", json={"reason": "No apparel experience."})
    assert brand.get(f"/tenders/{tender_id}").json["current_round"] == "pitch"

    # Round 2, pitch presentation: slots booked, two go to the on-site inspection.
    for i in (0, 1, 4):
        r = brand.post(f"/bids/{bids[i]['id']}/slots", json={"starts_at": in_days(2 + i),
                                                               "location": "https://meet.example.com/pitch"})
        assert r.status_code == 201
    brand.post(f"/bids/{bids[0]['id']}/advance", json={"score": 90, "note": "Strong QA process"})
    brand.post(f"/bids/{bids[1]['id']}/advance", json={"score": 86})
    brand.post(f"/bids/{bids[4]['id']}/reject", json={"reason": "Pitch did not address night shifts."})

    # Round 3, on-site inspection at the providers' centres.
    for i in (0, 1):
        brand.post(f"/bids/{bids[i]['id']}/slots", json={"starts_at": in_days(6), "duration_minutes": 180,
                                                          "location": "杭州市西湖区文三路 90 号"})
        brand.post(f"/bids/{bids[i]['id']}/scores", json={"score": 92 - i * 10, "note": "site visit"})
    board = brand.get(f"/tenders/{tender_id}/bids").json["items"]
    finalists = [b for b in board if b["status"] == "submitted"]
    assert {b["round"] for b in finalists} == {"site_visit"} and len(finalists) == 2

    r = brand.post(f"/tenders/{tender_id}/award", json={"bid_id": bids[0]["id"]})
    assert r.status_code == 201
    contract = providers[0].get(f"/contracts/{r.json['contract_id']}").json
    assert contract["amount"] == 450000_00 and len(contract["milestones"]) == 3
    assert sum(ms["amount"] for ms in contract["milestones"]) == contract["amount"]
    assert [ms["title"] for ms in contract["milestones"]] == [
        "Team set-up and training", "First month of service", "Second month and KPI review"]

    outcomes = {b["id"]: b["status"] for b in brand.get(f"/tenders/{tender_id}/bids").json["items"]}
    assert outcomes == {bids[0]["id"]: "awarded", bids[1]["id"]: "rejected", bids[2]["id"]: "rejected",
                        bids[3]["id"]: "rejected", bids[4]["id"]: "rejected"}
    kinds = [{n["kind"] for n in p.get("/notifications").json["items"]} for p in providers]
    assert "bid_awarded" in kinds[0] and "bid_not_awarded" in kinds[1]
    assert all("question_answered" in k for k in kinds)
    assert {"bid_advanced", "slot_scheduled"} <= kinds[0]
    assert "bid_rejected" in kinds[2] and "bid_rejected" in kinds[4]
    # After the award the sealed tender shows its bid count to everyone.
    assert providers[3].get(f"/tenders/{tender_id}").json["bid_count"] == 5
