"""Questions and public answers, addenda and the 48-hour rule, invitations, notifications."""
from datetime import UTC, datetime, timedelta

import time_machine

from tests.support.factories import bid_payload, in_days


def test_questions_answered_publicly_without_naming_who_asked(market, api):
    m = market(2)
    m.bid(1)
    r = m.providers[0].post(f"/tenders/{m.tender_id}/questions", json={"question": "How many chats a day?"})
    assert r.status_code == 201
    qid = r.json["id"]
    assert "asked_by" not in str(r.json)
    assert api().get(f"/tenders/{m.tender_id}/questions").json["items"] == []  # unanswered: brand only
    assert len(m.brand.get(f"/tenders/{m.tender_id}/questions").json["items"]) == 1
    assert m.providers[1].post(f"/questions/{qid}/answer", json={"answer": "no"}).status_code == 403
    r = m.brand.post(f"/questions/{qid}/answer", json={"answer": "About 6,000 in peak season."})
    assert r.status_code == 200
    public = api().get(f"/tenders/{m.tender_id}/questions").json["items"]
    assert public == [{"id": qid, "question": "How many chats a day?", "answer": "About 6,000 in peak season.",
                       "created_at": public[0]["created_at"], "answered_at": public[0]["answered_at"]}]
    assert m.brand.post(f"/questions/{qid}/answer", json={"answer": "changed"}).status_code == 409
    # the asker and every bidder were told
    for i in (0, 1):
        kinds = [n["kind"] for n in m.providers[i].get("/notifications").json["items"]]
        assert "question_answered" in kinds
    assert m.brand.post(f"/tenders/{m.tender_id}/questions", json={"question": "self?"}).status_code == 403
    assert m.providers[0].post(f"/tenders/{m.tender_id}/questions", json={"question": "?"}).status_code == 422


def test_addendum_moves_a_near_deadline_out_to_48_hours(market):
    m = market(1, bid_deadline=in_days(3))
    m.bid(0)
    now = datetime.now(UTC)
    with time_machine.travel(now + timedelta(days=2, hours=12), tick=False):  # 12 h before the deadline
        r = m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": "KPI: first response now 25 s."})
        assert r.status_code == 201
        after = datetime.fromisoformat(r.json["deadline_after"])
        assert after == now + timedelta(days=2, hours=12) + timedelta(hours=48)
        assert m.brand.get(f"/tenders/{m.tender_id}").json["status"] == "open"
    notes = m.providers[0].get("/notifications").json["items"]
    assert notes[0]["kind"] == "addendum_published"


def test_addendum_far_from_deadline_keeps_it_and_may_extend_it(market):
    m = market(0, bid_deadline=in_days(10))
    before = m.brand.get(f"/tenders/{m.tender_id}").json["bid_deadline"]
    r = m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": "Please add a sample weekly report."})
    assert r.json["deadline_after"] == before
    r = m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": "Earlier deadline, please.",
                                                               "bid_deadline": in_days(5)})
    assert r.status_code == 422  # an addendum never shortens the time to bid
    r = m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": "More time for site visits.",
                                                               "bid_deadline": in_days(20)})
    assert r.status_code == 201 and r.json["deadline_after"] > before
    m.close()
    assert m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": "too late now, sorry"}).status_code == 409


def test_invited_only_tender_is_unlisted_and_only_invitees_bid(market, api, make_user):
    m = market(2, invited_only=True, title="Private tender for invitees")
    assert api().get("/tenders").json["total"] == 0
    assert api().get(f"/tenders/{m.tender_id}").status_code == 404
    r = m.providers[0].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 404  # not invited: does not exist for them
    r = m.brand.post(f"/tenders/{m.tender_id}/invitations", json={"provider_ids": [m.provider_users[0].id]})
    assert r.status_code == 201 and r.json["invited"] == [m.provider_users[0].id]
    again = m.brand.post(f"/tenders/{m.tender_id}/invitations", json={"provider_ids": [m.provider_users[0].id]})
    assert again.json["invited"] == []  # idempotent
    assert m.providers[0].get(f"/tenders/{m.tender_id}").status_code == 200
    m.bid(0)
    assert m.providers[1].post(f"/tenders/{m.tender_id}/bids", json=bid_payload()).status_code == 404
    brand_id = m.brand.get("/me").json["id"]
    assert m.brand.post(f"/tenders/{m.tender_id}/invitations", json={"provider_ids": [brand_id]}).status_code == 422
    assert "invited" in [n["kind"] for n in m.providers[0].get("/notifications").json["items"]]


def test_notifications_unread_count_and_marking_read(market):
    m = market(2)
    m.bid(0)
    m.bid(1)
    page = m.brand.get("/notifications").json
    assert page["total"] == 2 and page["unread"] == 2
    assert {n["kind"] for n in page["items"]} == {"bid_received"}
    first = page["items"][0]["id"]
    assert m.brand.post(f"/notifications/{first}/read").json["read"] is True
    assert m.brand.get("/notifications", query_string={"unread": "true"}).json["total"] == 1
    assert m.providers[0].post(f"/notifications/{first}/read").status_code == 404
    assert m.brand.post("/notifications/read-all").json == {"marked": 1}
    assert m.brand.get("/notifications").json["unread"] == 0


def test_notification_messages_follow_the_callers_language(market):
    m = market(1)
    m.bid(0)
    english = m.brand.get("/notifications", headers={"Accept-Language": "en"}).json["items"][0]["message"]
    chinese = m.brand.get("/notifications", headers={"Accept-Language": "zh-CN"}).json["items"][0]["message"]
    assert english.endswith("bid on “Customer-service outsourcing for a national apparel brand”.")
    assert english != chinese


def test_published_addenda_are_listed_to_anyone_who_sees_the_tender(market, api):
    m = market(1, bid_deadline=in_days(10))
    assert api().get(f"/tenders/{m.tender_id}/addenda").json == {"items": []}
    body = "Please add a sample weekly report."
    assert m.brand.post(f"/tenders/{m.tender_id}/addenda", json={"body": body}).status_code == 201
    for caller in (api(), m.providers[0], m.brand):
        listed = caller.get(f"/tenders/{m.tender_id}/addenda")
        assert listed.status_code == 200 and [a["body"] for a in listed.json["items"]] == [body]
    assert api().get("/tenders/999999/addenda").status_code == 404
