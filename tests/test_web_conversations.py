"""Conversations through the pages: start from the tender or contract page, write with a file, the
contact-detail warning, polling with an ETag, reporting, and staff reading only with grounds, audited."""
import io
import re

from sqlalchemy import func, select

from extensions import db
from models import StaffAction
from tests.support.web import csrf_token, form_post, signed_in, switch

EN = {"Accept-Language": "en"}


def test_a_bidder_starts_a_thread_from_the_tender_page_and_the_brand_sees_it_unread(app, client, login, market):
    m = market(1)
    m.bid(0)
    login(m.provider_users[0])
    page = client.get(f"/tenders/{m.tender_id}", headers=EN).get_data(as_text=True)
    assert 'data-testid="start-conversation"' in page
    data = {"tender_id": m.tender_id, "body": "Add me on WeChat: witkey_2024",
            "files": (io.BytesIO(b"%PDF-1.4 plan" + b"0" * 50), "plan.pdf"),
            "csrf_token": csrf_token(client, f"/tenders/{m.tender_id}")}
    r = client.post("/conversations/start", data=data, content_type="multipart/form-data", headers=EN)
    assert r.status_code == 302
    thread = r.headers["Location"]
    page = client.get(thread, headers=EN).get_data(as_text=True)
    assert "It seems to contain contact details" in page  # warned, and the message was still sent
    assert "witkey_2024" in page and "plan.pdf" in page
    download = re.search(r'href="([^"]+/files/\d+)">plan.pdf<', page).group(1)
    assert client.get(download).data.startswith(b"%PDF-1.4 plan")
    brand = signed_in(app, m.brand.get("/me").json["id"])
    listing = brand.get("/conversations", headers=EN).get_data(as_text=True)
    assert m.provider_users[0].display_name in listing and 'title="Unread">1<' in listing
    assert 'data-testid="unread-messages">1<' in listing
    brand.get(thread)
    assert 'data-testid="unread-messages"' not in brand.get("/conversations").get_data(as_text=True)


def test_polling_returns_only_new_messages_and_304_when_nothing_changed(app, client, login, market):
    m = market(2)
    m.bid(0)
    m.bid(1)
    conv_id = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "one"}).json["id"]
    login(m.provider_users[0])
    first = client.get(f"/conversations/{conv_id}/since?after=0")
    assert first.status_code == 200 and "one" in first.json["html"]
    last = first.json["last_id"]
    quiet = client.get(f"/conversations/{conv_id}/since?after={last}")
    again = client.get(f"/conversations/{conv_id}/since?after={last}", headers={"If-None-Match": quiet.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    m.brand.post(f"/conversations/{conv_id}/messages", json={"body": "two"})
    fresh = client.get(f"/conversations/{conv_id}/since?after={last}", headers={"If-None-Match": quiet.headers["ETag"]})
    assert fresh.status_code == 200 and "two" in fresh.json["html"] and "one" not in fresh.json["html"]
    # A rival bidder's poll is a 404 like any other page of the thread.
    switch(client, m.provider_users[1])
    assert client.get(f"/conversations/{conv_id}/since").status_code == 404
    assert client.get(f"/conversations/{conv_id}").status_code == 404


def test_staff_open_a_contract_thread_only_under_a_dispute_and_each_view_is_audited(app, client, login, deal,
                                                                                     make_user):
    d = deal()
    conv_id = d.provider.post("/conversations", json={"contract_id": d.contract_id, "body": "Starting"}).json["id"]
    staff = make_user("admin")
    login(staff)
    assert client.get(f"/conversations/{conv_id}").status_code == 403
    d.deposit(150000_00)
    d.fund(0)
    assert d.provider.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "other"}).status_code == 201
    page = client.get(f"/conversations/{conv_id}", headers=EN).get_data(as_text=True)
    assert "Starting" in page and 'data-testid="staff-grounds"' in page and "data-poll-url" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffAction.id)).where(
            StaffAction.action == "conversation.read", StaffAction.subject_id == conv_id)) == 1


def test_a_party_reports_a_message_and_it_reaches_the_staff_queue(app, client, login, market, make_user):
    m = market(1)
    m.bid(0)
    opened = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "Pay me directly"})
    conv_id, message_id = opened.json["id"], opened.json["message"]["id"]
    brand_client = signed_in(app, m.brand.get("/me").json["id"])
    r = form_post(brand_client, f"/conversations/messages/{message_id}/report", {"reason": "off-platform"},
                  page=f"/conversations/{conv_id}")
    assert r.status_code == 302
    login(make_user("admin"))
    queue = client.get("/conversations/reported", headers=EN).get_data(as_text=True)
    assert f"/conversations/{conv_id}" in queue and "off-platform" in queue
    assert "Pay me directly" in client.get(f"/conversations/{conv_id}").get_data(as_text=True)
    switch(client, make_user("provider"))
    assert client.get(f"/conversations/{conv_id}").status_code == 404
