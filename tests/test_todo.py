"""The home page of what needs me now, and GET /api/v1/me/todo (issue 17, item 2): items per role, each
linking where the thing is done, from a fixed number of queries whatever the data size."""
import re
from datetime import timedelta

from extensions import db
from models import Milestone, Tender
from tests.support.factories import bid_payload, in_days, tender_payload
from tests.support.queries import counting_queries
from tests.support.web import signed_in

EN = {"Accept-Language": "en"}


def kinds(api_):
    r = api_.get("/me/todo")
    assert r.status_code == 200, r.json
    return {item["kind"]: item for item in r.json}


def test_a_brand_sees_deliveries_to_accept_with_the_auto_release_date_and_milestones_to_fund(app, deal):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    items = kinds(d.brand)
    delivery = items["delivery_to_accept"]
    with app.app_context():
        m = db.session.get(Milestone, d.milestone_ids[0])
        expected = m.delivered_at + timedelta(days=app.config["AUTO_RELEASE_DAYS"])
    assert delivery["due_at"].startswith(expected.isoformat()[:16])
    assert delivery["url"].endswith(f"/contracts/{d.contract_id}#milestone-{d.milestone_ids[0]}")
    todo = d.brand.get("/me/todo", headers={"Accept-Language": "en"}).json
    to_fund = [i["title"] for i in todo if i["kind"] == "milestone_to_fund"]
    assert to_fund == ["Fund “Milestone 2”", "Fund “Milestone 3”"]  # soonest due first
    # The provider: nothing to deliver on the delivered one, the others are not funded yet.
    assert "work_due" not in kinds(d.provider)


def test_a_provider_sees_work_due_disputes_and_unread_messages(deal):
    d = deal()
    d.deposit(300000_00)
    d.fund(0)
    d.fund(1)
    due = [i["url"] for i in d.provider.get("/me/todo").json if i["kind"] == "work_due"]
    assert [u.rsplit("#", 1)[1] for u in due] == [f"milestone-{d.milestone_ids[0]}", f"milestone-{d.milestone_ids[1]}"]
    d.brand.post("/conversations", json={"contract_id": d.contract_id, "body": "Any news?"})
    assert kinds(d.provider)["messages_unread"]["count"] == 1
    assert "messages_unread" not in kinds(d.brand)  # its own message
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[1]}/disputes", json={"reason": "late"}).json
    item = kinds(d.provider)["dispute_open"]
    assert item["url"].endswith(f"/disputes/{dispute['id']}") and item["due_at"]


def test_invitations_and_bids_in_progress_for_a_provider_closing_tenders_and_bids_for_a_brand(market):
    m = market(2, bid_deadline=in_days(2))
    m.brand.post(f"/tenders/{m.tender_id}/invitations", json={"provider_ids": [m.provider_users[1].id]})
    assert kinds(m.providers[1])["invitation"]["url"].endswith(f"/tenders/{m.tender_id}")
    m.bid(1)
    assert "invitation" not in kinds(m.providers[1])  # answered by bidding
    assert "bid_in_progress" in kinds(m.providers[1])
    assert kinds(m.brand)["tender_closing"]["url"].endswith(f"/tenders/{m.tender_id}")
    m.close()
    item = kinds(m.brand)["bids_to_review"]
    assert item["count"] == 1 and f"/tenders/{m.tender_id}/" in item["url"]


def test_staff_see_queue_counts_with_the_oldest_item(api, make_user, deal):
    staff = api(make_user("admin"))
    assert "disputes" not in kinds(staff)
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "late"})
    item = kinds(staff)["disputes"]
    assert item["count"] == 1 and item["due_at"] and item["url"].endswith("/disputes/queue")


def test_signed_in_users_land_on_their_home_page_and_visitors_on_the_marketing_page(client, login, deal):
    marketing = client.get("/", headers=EN).get_data(as_text=True)
    assert 'data-testid="todo"' not in marketing
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    brand = signed_in(d.app, d.brand_id)
    page = brand.get("/", headers=EN).get_data(as_text=True)
    assert 'data-testid="todo"' in page and "Accept or ask for changes" in page
    assert f'/contracts/{d.contract_id}#milestone-{d.milestone_ids[0]}' in page
    # the auto-release countdown reads as time left, the exact moment on hover
    assert d.app.config["AUTO_RELEASE_DAYS"] == 14
    assert re.search(r'<time datetime="[^"]+" title="[^"]*\d{4}, \d{1,2}:\d\d\s[AP]M">in 2 weeks</time>', page)


def _statements(app, api_):
    with app.app_context(), counting_queries(db.engine) as statements:
        assert api_.get("/me/todo").status_code == 200
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_data(app, market, api, make_user):
    small = market(1, bid_deadline=in_days(2))
    small.bid(0)
    small.providers[0].post("/conversations", json={"tender_id": small.tender_id, "body": "hi"})
    brand_small, provider_small = _statements(app, small.brand), _statements(app, small.providers[0])
    # Same kinds of items, five times as many of each.
    big = market(5, bid_deadline=in_days(2))
    for extra in range(4):
        tender_id = big.brand.post("/tenders", json=tender_payload(bid_deadline=in_days(2))).json["id"]
        for i in range(5):
            big.providers[i].post(f"/tenders/{tender_id}/bids", json=bid_payload())
            big.providers[i].post("/conversations", json={"tender_id": tender_id, "body": f"hi {extra}"})
    for i in range(5):
        big.bid(i)
    assert len(big.brand.get("/me/todo").json) > len(small.brand.get("/me/todo").json)
    assert _statements(app, big.brand) == brand_small
    assert _statements(app, big.providers[0]) == provider_small


def test_the_home_page_counts_unread_messages_once_for_the_header_and_the_list(app, market):
    """The header's unread badge and the to-do item show the same count from one query (issue 21)."""
    m = market(1)
    m.bid(0)
    m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "One"})
    m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "Two"})
    with app.app_context():
        brand_id = db.session.get(Tender, m.tender_id).brand_id
    page = signed_in(app, brand_id)
    with app.app_context():
        engine = db.engine
    with counting_queries(engine) as statements:
        html = page.get("/", headers=EN).get_data(as_text=True)
    assert "2 unread messages" in html
    assert sum("count(messages.id)" in s for s in statements) == 1, statements
