"""The audit of openings (issue 15): every view of a bid's contents and download of its files by a brand
member is recorded (who, what, when), shown to those who run the tender and to staff in a dispute on the
tender's contract — never to the provider or another organisation."""
import io

from tests.support.orgs import join


def test_brand_views_and_downloads_are_recorded_and_shown_to_owner_and_dispute_staff(app, client, deal):
    d = deal(amounts=(100000, 20000))
    contract = d.brand.get(f"/contracts/{d.contract_id}").json
    bid_id, tender_id = contract["bid_id"], contract["tender_id"]
    assert d.brand.get(f"/tenders/{tender_id}/openings").json["items"] == []  # awarding opened nothing
    viewer_id, viewer = join(app, client, d.brand, "brand", "viewer")
    assert d.provider.get(f"/bids/{bid_id}").status_code == 200  # the bidder's own views are not openings
    assert viewer.get(f"/bids/{bid_id}").status_code == 200
    assert d.brand.get(f"/tenders/{tender_id}/bids").status_code == 200
    rows = d.brand.get(f"/tenders/{tender_id}/openings").json["items"]
    assert [(r["user_id"], r["what"], r["bid_id"]) for r in rows] == [
        (viewer_id, "contents", bid_id), (d.brand_id, "contents", bid_id)]
    assert all(r["opened_at"] for r in rows)
    # not the provider's, not a viewer's (it does not run the tender), not staff outside a dispute
    assert d.provider.get(f"/tenders/{tender_id}/openings").status_code == 403
    assert viewer.get(f"/tenders/{tender_id}/openings").status_code == 403
    d.deposit(100000)
    d.fund(0)
    d.deliver(0)
    r = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes",
                     json={"reason": "quality", "statement": "Blurry.", "evidence": ["https://pan.example.com/s/p"]})
    assert r.status_code == 201, r.json
    staff_rows = d.staff.get(f"/disputes/{r.json['id']}/openings").json["items"]
    assert [(x["user_id"], x["what"]) for x in staff_rows] == [(viewer_id, "contents"), (d.brand_id, "contents")]
    assert d.brand.get(f"/disputes/{r.json['id']}/openings").status_code == 403


def test_a_file_download_is_recorded_with_the_file(market):
    m = market(1)
    bid = m.bid(0)
    api = m.providers[0]
    r = api.client.post(f"/api/v1/bids/{bid['id']}/attachments", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(b"%PDF-1.4\n% deck\n" + b"0" * 2000), "deck.pdf")},
                        headers={"Authorization": f"Bearer {api.token}"})
    assert r.status_code == 201, r.json
    assert api.get(r.json["url"].removeprefix("/api/v1")).status_code == 200  # the provider's own: not recorded
    m.close()
    assert m.brand.get(r.json["url"].removeprefix("/api/v1")).status_code == 200
    rows = m.brand.get(f"/tenders/{m.tender_id}/openings").json["items"]
    assert [(x["what"], x["attachment_id"]) for x in rows] == [("file", r.json["id"])]
