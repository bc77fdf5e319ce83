"""Conversations between a brand and one provider (issue 17, item 1): who may open and read a thread,
unread counts per member, contact-detail warnings, reports, and staff reads only under a dispute or a
report, each one in the audit log."""
import pytest
from sqlalchemy import select

from extensions import db
from models import StaffAction
from services.conversations import has_contact_details
from tests.support.factories import bid_payload
from tests.support.orgs import team


def _open(api_, **body):
    return api_.post("/conversations", json={"body": "Hello", **body})


def test_a_provider_writes_once_it_has_bid_and_a_second_post_answers_the_same_id(market):
    m = market(2)
    assert _open(m.providers[0], tender_id=m.tender_id).status_code == 404  # neither invited nor bid
    m.bid(0)
    first = _open(m.providers[0], tender_id=m.tender_id, body="A question about the night shift")
    assert first.status_code == 201, first.json
    again = _open(m.providers[0], tender_id=m.tender_id, body="And one about weekends")
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    # The brand reaches the same thread by naming the provider.
    brand_side = _open(m.brand, tender_id=m.tender_id, with_user_id=m.provider_users[0].id, body="Answer")
    assert brand_side.status_code == 200 and brand_side.json["id"] == first.json["id"]
    messages = m.brand.get(f"/conversations/{first.json['id']}/messages").json["items"]
    assert [x["body"] for x in messages] == ["A question about the night shift", "And one about weekends", "Answer"]


def test_an_invited_provider_may_write_before_bidding(market):
    m = market(1)
    r = m.brand.post(f"/tenders/{m.tender_id}/invitations", json={"provider_ids": [m.provider_users[0].id]})
    assert r.status_code == 201, r.json
    assert _open(m.providers[0], tender_id=m.tender_id).status_code == 201


def test_outsiders_and_rival_bidders_get_404(market, api, make_user):
    m = market(2)
    m.bid(0)
    m.bid(1)
    conv_id = _open(m.providers[0], tender_id=m.tender_id).json["id"]
    rival, outsider_brand = m.providers[1], api(make_user("brand"))
    for caller in (rival, outsider_brand, api(make_user("provider"))):
        assert caller.get(f"/conversations/{conv_id}/messages").status_code == 404
        assert caller.post(f"/conversations/{conv_id}/messages", json={"body": "hi"}).status_code == 404
        assert caller.post(f"/conversations/{conv_id}/read").status_code == 404
    # The rival's own list does not show the other bidder's thread; another brand cannot open one.
    assert rival.get("/conversations").json["items"] == []
    assert _open(outsider_brand, tender_id=m.tender_id, with_user_id=m.provider_users[0].id).status_code == 404
    message_id = m.brand.get(f"/conversations/{conv_id}/messages").json["items"][0]["id"]
    assert rival.post(f"/messages/{message_id}/report", json={}).status_code == 404


def test_sealed_opening_hides_who_bid_even_through_threads(market):
    m = market(2, sealed_opening=True)
    m.bid(0, 123456_00)
    # Before bidding closes the brand cannot learn that provider 0 bid: same answer as for one who did not.
    for user in m.provider_users:
        r = _open(m.brand, tender_id=m.tender_id, with_user_id=user.id)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    # The bidder may write; the thread names the tender, never the bid's amount or proposal.
    opened = _open(m.providers[0], tender_id=m.tender_id, body="When is the pitch?")
    assert opened.status_code == 201
    listed = m.brand.get("/conversations").json["items"]
    assert len(listed) == 1 and "123456" not in str(listed) and "dedicated team" not in str(listed)
    assert "bid_id" not in listed[0] and "amount" not in listed[0]


def test_unread_counts_are_per_member_and_reading_clears_them(market):
    m = market(1)
    m.bid(0)
    conv_id = _open(m.providers[0], tender_id=m.tender_id, body="One").json["id"]
    assert m.providers[0].post(f"/conversations/{conv_id}/messages", json={"body": "Two"}).status_code == 201
    assert [c["unread"] for c in m.brand.get("/conversations").json["items"]] == [2]
    assert [c["unread"] for c in m.providers[0].get("/conversations").json["items"]] == [0]  # its own
    assert m.brand.post(f"/conversations/{conv_id}/read").json["last_read_id"] > 0
    assert [c["unread"] for c in m.brand.get("/conversations").json["items"]] == [0]
    item = m.brand.get("/conversations").json["items"][0]
    assert item["with_name"] == m.provider_users[0].display_name
    assert item["subject"].startswith("Customer-service outsourcing")


def test_unread_counts_are_per_thread_for_a_reader_of_several(market):
    """Each thread counts against the reader's own mark for that thread (a mark read from another thread
    errored on PostgreSQL and miscounted on SQLite once the reader had read two threads)."""
    m = market(2)
    m.bid(0)
    m.bid(1)
    first = _open(m.providers[0], tender_id=m.tender_id, body="One").json["id"]
    second = _open(m.providers[1], tender_id=m.tender_id, body="Two").json["id"]
    assert m.brand.post(f"/conversations/{first}/read").status_code == 200
    assert m.brand.post(f"/conversations/{second}/read").status_code == 200
    m.providers[0].post(f"/conversations/{first}/messages", json={"body": "Three"})
    unread = {c["id"]: c["unread"] for c in m.brand.get("/conversations").json["items"]}
    assert unread == {first: 1, second: 0}


def test_newest_conversation_first(market):
    m = market(2)
    m.bid(0)
    m.bid(1)
    first = _open(m.providers[0], tender_id=m.tender_id).json["id"]
    second = _open(m.providers[1], tender_id=m.tender_id).json["id"]
    assert [c["id"] for c in m.brand.get("/conversations").json["items"]] == [second, first]
    m.brand.post(f"/conversations/{first}/messages", json={"body": "Back to you"})
    assert [c["id"] for c in m.brand.get("/conversations").json["items"]] == [first, second]


@pytest.mark.parametrize("text", ["Call me on 138 1234 5678", "mail sales@example.cn please", "加我微信: witkey_2024",
                                  "QQ 123456789", "+44 20 7946 0958", "wechat id zhangwei88"])
def test_contact_details_are_recognised(text):
    assert has_contact_details(text)


@pytest.mark.parametrize("text", ["We have 40 agents and 3 shifts", "Budget 450000.00 over 90 days",
                                  "See milestone 2 on 2026-12-01"])
def test_ordinary_text_is_not_taken_for_contact_details(text):
    assert not has_contact_details(text)


def test_contact_details_before_a_contract_are_warned_about_not_blocked(market, deal):
    m = market(1)
    m.bid(0)
    r = _open(m.providers[0], tender_id=m.tender_id, body="Add me on WeChat: witkey_2024")
    assert r.status_code == 201 and r.json["message"]["contact_warning"] is True
    assert r.json["message"]["body"] == "Add me on WeChat: witkey_2024"  # delivered as written
    d = deal()
    r = _open(d.provider, contract_id=d.contract_id, body="My phone: 13812345678")
    assert r.status_code == 201 and r.json["message"]["contact_warning"] is False  # a contract exists


def test_an_empty_or_missing_subject_is_refused_with_422(market):
    m = market(1)
    m.bid(0)
    assert _open(m.providers[0], tender_id=m.tender_id, body="   ").status_code == 422
    assert m.providers[0].post("/conversations", json={"body": "x"}).status_code == 422
    assert _open(m.brand, tender_id=m.tender_id).status_code == 422  # which provider?


def _staff_reads(app, conv_id):
    with app.app_context():
        return list(db.session.scalars(select(StaffAction).where(StaffAction.action == "conversation.read",
                                                                 StaffAction.subject_id == conv_id)))


def test_staff_read_a_contract_thread_only_while_a_dispute_is_open_and_each_read_is_audited(app, deal):
    d = deal()
    conv_id = _open(d.brand, contract_id=d.contract_id, body="Kick-off on Monday").json["id"]
    assert _open(d.provider, contract_id=d.contract_id).json["id"] == conv_id
    r = d.staff.get(f"/conversations/{conv_id}/messages")
    assert r.status_code == 403 and r.json["error"]["code"] == "no_grounds"
    assert _staff_reads(app, conv_id) == []
    d.deposit(150000_00)
    d.fund(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "late"})
    assert dispute.status_code == 201, dispute.json
    r = d.staff.get(f"/conversations/{conv_id}/messages")
    assert r.status_code == 200 and r.json["items"][0]["body"] == "Kick-off on Monday"
    d.staff.get(f"/conversations/{conv_id}/messages")
    reads = _staff_reads(app, conv_id)
    assert len(reads) == 2 and reads[0].reason == "dispute_open" and reads[0].affected_user_id is not None
    assert d.brand.post(f"/disputes/{dispute.json['id']}/withdraw").status_code == 200
    assert d.staff.get(f"/conversations/{conv_id}/messages").status_code == 403
    assert len(_staff_reads(app, conv_id)) == 2
    # Staff never write in a thread.
    assert d.staff.post(f"/conversations/{conv_id}/messages", json={"body": "x"}).status_code == 403


def test_a_report_lets_staff_read_the_thread(app, market, api, make_user):
    m = market(1)
    m.bid(0)
    staff = api(make_user("admin"))
    opened = _open(m.providers[0], tender_id=m.tender_id, body="Pay me outside the platform")
    conv_id, message_id = opened.json["id"], opened.json["message"]["id"]
    assert staff.get(f"/conversations/{conv_id}/messages").status_code == 403
    # One's own message cannot be reported; the other side's can.
    assert m.providers[0].post(f"/messages/{message_id}/report", json={}).status_code == 403
    r = m.brand.post(f"/messages/{message_id}/report", json={"reason": "asks to pay off-platform"})
    assert r.status_code == 200 and r.json["reported"] is True
    assert staff.get(f"/conversations/{conv_id}/messages").status_code == 200
    assert [a.reason for a in _staff_reads(app, conv_id)] == ["message_reported"]


def test_roles_without_a_say_in_talks_get_403(app, client, market):
    members = team(app, client, "provider", ["viewer", "bid_manager"])
    m = market(0)
    r = members["bid_manager"][1].post(f"/tenders/{m.tender_id}/bids", json=bid_payload())
    assert r.status_code == 201, r.json
    assert _open(members["bid_manager"][1], tender_id=m.tender_id).status_code == 201
    assert members["viewer"][1].get("/conversations").status_code == 403
    # The owner, a colleague, sees the thread with its own unread count.
    assert [c["unread"] for c in members["owner"][1].get("/conversations").json["items"]] == [0]


def test_messages_are_rate_limited_per_sender(app, market):
    m = market(1)
    m.bid(0)
    conv_id = _open(m.providers[0], tender_id=m.tender_id).json["id"]
    app.config["MESSAGE_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [m.providers[0].post(f"/conversations/{conv_id}/messages", json={"body": f"n{i}"}).status_code
                 for i in range(3)]
        assert codes == [201, 201, 429]
        # Another sender has its own allowance.
        assert m.brand.post(f"/conversations/{conv_id}/messages", json={"body": "ok"}).status_code == 201
    finally:
        app.config["MESSAGE_RATE_LIMIT"] = "1000 per minute"
