"""Bidding and evaluation through the pages: forms, what each party sees, sealed bids in HTML."""
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from extensions import db
from models import Bid, Contract
from tests.support.factories import tender_payload
from tests.support.web import csrf_token, form_post, switch

PROPOSAL = "## Plan\nA team of **40 agents**. <script>alert('x')</script>"


def bid_form(amount="450000", **overrides):
    data = {"amount": amount, "delivery_days": "90", "proposal": PROPOSAL,
            "milestones-0-title": "Set-up", "milestones-0-amount": "150000", "milestones-0-due_days": "15",
            "milestones-1-title": "Month one", "milestones-1-amount": "150000", "milestones-1-due_days": "45",
            "milestones-2-title": "Month two", "milestones-2-amount": "150000", "milestones-2-due_days": "90"}
    data.update(overrides)
    return data


def posted_tender(api, brand, **overrides) -> int:
    r = api(brand).post("/tenders", json=tender_payload(**overrides))
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_provider_bids_through_the_form_with_a_file(client, login, make_user, api, app):
    brand, provider = make_user("brand"), make_user("provider")
    tid = posted_tender(api, brand)
    login(provider)
    page = client.get(f"/tenders/{tid}").get_data(as_text=True)
    assert 'data-testid="bid-button"' in page
    data = bid_form()
    data["files"] = (io.BytesIO(b"%PDF-1.4 deck" + b"0" * 100), "deck.pdf")
    r = client.post(f"/tenders/{tid}/bid", data={**data, "csrf_token": csrf_token(client, f"/tenders/{tid}/bid")},
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    bid_page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "¥450,000.00" in bid_page and "deck.pdf" in bid_page
    assert "<strong>40 agents</strong>" in bid_page
    assert "<script>alert" not in bid_page  # stored XSS is rendered as text
    with app.app_context():
        bid = db.session.scalars(select(Bid)).one()
        assert bid.amount == 450000_00 and [m.amount for m in bid.milestones] == [150000_00] * 3
        assert len(bid.attachments) == 1


def test_bid_form_errors_change_nothing(client, login, make_user, api, app):
    tid = posted_tender(api, make_user("brand"))
    login(make_user("provider"))
    r = form_post(client, f"/tenders/{tid}/bid", bid_form(amount="400000"))  # plan sums to 450,000
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Bid)).first() is None
    data = bid_form()
    data["files"] = (io.BytesIO(b"MZ\x90\x00 not a document"), "setup.exe")
    r = client.post(f"/tenders/{tid}/bid", data={**data, "csrf_token": csrf_token(client, f"/tenders/{tid}/bid")},
                    content_type="multipart/form-data")
    assert r.status_code == 422  # the bid and the bad file go back together, nothing stored
    with app.app_context():
        assert db.session.scalars(select(Bid)).first() is None


def test_sealed_tender_pages_show_no_other_bid(client, login, make_user, api):
    brand, alice, bob = make_user("brand"), make_user("provider"), make_user("provider")
    tid = posted_tender(api, brand, sealed=True)
    login(alice)
    form_post(client, f"/tenders/{tid}/bid", bid_form(amount="450000"))
    switch(client, bob)
    page = client.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "450,000" not in page and "40 agents" not in page
    assert 'data-testid="bid-count"' not in page  # providers do not see how many bid
    assert alice.display_name not in page
    with client.application.app_context():
        alice_bid = db.session.scalars(select(Bid)).one().id
    assert client.get(f"/bids/{alice_bid}").status_code == 404
    assert client.get(f"/tenders/{tid}/evaluate").status_code == 403
    switch(client, brand)
    assert 'data-testid="bid-count"' in client.get(f"/tenders/{tid}").get_data(as_text=True)


def test_sealed_opening_board_shows_only_that_bids_exist(client, login, make_user, api):
    brand, provider = make_user("brand"), make_user("provider")
    tid = posted_tender(api, brand, sealed_opening=True)
    login(provider)
    form_post(client, f"/tenders/{tid}/bid", bid_form(amount="450000"))
    switch(client, brand)
    board = client.get(f"/tenders/{tid}/evaluate").get_data(as_text=True)
    assert 'data-testid="sealed-notice"' in board and "450,000" not in board
    with client.application.app_context():
        bid_id = db.session.scalars(select(Bid)).one().id
    sealed = client.get(f"/bids/{bid_id}").get_data(as_text=True)
    assert "450,000" not in sealed and provider.display_name not in sealed  # neither what nor who
    form_post(client, f"/tenders/{tid}/close", {}, page=f"/tenders/{tid}")
    assert "¥450,000.00" in client.get(f"/tenders/{tid}/evaluate").get_data(as_text=True)


def test_brand_evaluates_in_rounds_and_awards_on_the_board(client, login, make_user, api, app):
    brand = make_user("brand")
    providers = [make_user("provider") for _ in range(3)]
    tid = posted_tender(api, brand, rounds=["proposal", "pitch"])
    for p, amount in zip(providers, ("450000", "420000", "480000"), strict=True):
        login(p) if p is providers[0] else switch(client, p)
        assert form_post(client, f"/tenders/{tid}/bid", bid_form(amount=amount,
                         **{"milestones-0-amount": str(int(amount) - 300000)})).status_code == 302
    switch(client, brand)
    form_post(client, f"/tenders/{tid}/close", {}, page=f"/tenders/{tid}")
    with app.app_context():
        ids = [b.id for b in db.session.scalars(select(Bid).order_by(Bid.id))]
    board = f"/tenders/{tid}/evaluate"
    html = client.get(board).get_data(as_text=True)
    assert 'data-testid="compare-proposal"' in html and "¥420,000.00" in html
    form_post(client, f"/bids/{ids[0]}/advance", {"score": "88", "note": "clear"}, page=board)
    form_post(client, f"/bids/{ids[1]}/advance", {"score": "84"}, page=board)
    r = form_post(client, f"/bids/{ids[2]}/reject", {"reason": ""}, page=board, follow_redirects=True,
                  headers={"Accept-Language": "en"})
    assert "Give the provider a reason (3 to 2000 characters)." in r.get_data(as_text=True)
    form_post(client, f"/bids/{ids[2]}/reject", {"reason": "Over budget"}, page=board)
    starts = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form_post(client, f"/bids/{ids[0]}/slots", {"starts_at": starts, "duration_minutes": "60",
                                                 "location": "https://meet.example.com/p1"}, page=board)
    html = client.get(board).get_data(as_text=True)
    pitch_table = html.split('data-testid="compare-pitch"')[1]
    assert "88" in pitch_table and "https://meet.example.com/p1" in html

    switch(client, providers[0])
    assert 'data-testid="my-slot"' in client.get(f"/tenders/{tid}").get_data(as_text=True)
    unread = re.search(r'data-testid="unread-count">(\d+)<', client.get("/").get_data(as_text=True))
    assert unread and int(unread.group(1)) >= 2  # advanced + slot booked
    switch(client, brand)
    r = form_post(client, f"/tenders/{tid}/award/{ids[0]}", {}, page=board)
    assert r.status_code == 302 and "/contracts/" in r.headers["Location"]
    contract_page = client.get(r.headers["Location"]).get_data(as_text=True)
    milestones = contract_page.split('data-testid="milestones"')[1].split("</table>")[0]
    assert milestones.count("<tr><td>") == 3  # three milestones
    again = form_post(client, f"/tenders/{tid}/award/{ids[1]}", {}, page=f"/tenders/{tid}", follow_redirects=True)
    assert again.status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(Contract)).all()) == 1


def test_questions_and_answers_on_the_page(client, login, make_user, api):
    brand, asker, other = make_user("brand"), make_user("provider"), make_user("provider")
    tid = posted_tender(api, brand)
    login(asker)
    form_post(client, f"/tenders/{tid}/questions", {"question": "Do you need night shifts?"}, page=f"/tenders/{tid}")
    switch(client, brand)
    page = client.get(f"/tenders/{tid}").get_data(as_text=True)
    qid = int(re.search(r"/tenders/questions/(\d+)/answer", page).group(1))
    form_post(client, f"/tenders/questions/{qid}/answer", {"answer": "Yes, 00:00 to 09:00 on weekends."},
              page=f"/tenders/{tid}")
    switch(client, other)
    page = client.get(f"/tenders/{tid}").get_data(as_text=True)
    assert "Do you need night shifts?" in page and "00:00 to 09:00" in page
    assert asker.display_name not in page


def test_notification_centre_marks_read_and_follows_the_link(client, login, make_user, api):
    brand, provider = make_user("brand"), make_user("provider")
    tid = posted_tender(api, brand)
    login(provider)
    form_post(client, f"/tenders/{tid}/bid", bid_form())
    switch(client, brand)
    home = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'data-testid="unread-count">1<' in home
    page = client.get("/notifications", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{provider.display_name} bid on" in page
    nid = int(re.search(r"/notifications/(\d+)/open", page).group(1))
    r = form_post(client, f"/notifications/{nid}/open", {}, page="/notifications")
    assert r.headers["Location"].endswith(f"/tenders/{tid}/evaluate")
    assert 'data-testid="unread-count"' not in client.get("/").get_data(as_text=True)


def test_invited_provider_finds_the_unlisted_tender_under_my_bids(client, login, make_user, api):
    brand, invitee, outsider = make_user("brand"), make_user("provider"), make_user("provider")
    tid = posted_tender(api, brand, invited_only=True, title="Private detail-page tender")
    api(brand).post(f"/tenders/{tid}/invitations", json={"provider_ids": [invitee.id]})
    login(outsider)
    assert "Private detail-page tender" not in client.get("/tenders?status=").get_data(as_text=True)
    assert client.get(f"/tenders/{tid}").status_code == 404
    assert 'data-testid="invitations"' not in client.get("/bids/mine").get_data(as_text=True)
    switch(client, invitee)
    mine = client.get("/bids/mine").get_data(as_text=True)
    assert "Private detail-page tender" in mine
    assert 'data-testid="bid-button"' in client.get(f"/tenders/{tid}").get_data(as_text=True)


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "sNaN", "-Infinity"])
def test_non_finite_money_in_forms_is_refused(client, login, make_user, api, amount):

    tid = api(make_user("brand")).post("/tenders", json=tender_payload()).json["id"]
    login(make_user("provider"))
    r = form_post(client, f"/tenders/{tid}/bid", bid_form(amount=amount))
    assert r.status_code == 422
