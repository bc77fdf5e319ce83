"""The conversations list (API and page) costs the same SQL statements for 3 threads as for 30: the subject's
title, the other party's name and the unread count come in the list's one query (issue 21: it loaded a
tender and a user per thread)."""
from extensions import db
from models import Conversation, Message
from tests.support.factories import tender_payload
from tests.support.queries import counting_queries
from tests.support.web import signed_in


def _threads(app, brand, provider, tender_ids):
    """A thread with one message from the provider on each tender (rows written directly: the list is measured)."""
    with app.app_context():
        for tid in tender_ids:
            conv = Conversation(key=f"tender:{tid}:{provider.id}", tender_id=tid, brand_id=brand.id,
                                provider_id=provider.id)
            db.session.add(conv)
            db.session.flush()
            db.session.add(Message(conversation_id=conv.id, sender_id=provider.id, sender_account_id=provider.id,
                                   body=f"About tender {tid}", contact_warning=False))
        db.session.commit()


def test_the_conversation_list_sends_as_many_statements_for_30_threads_as_for_3(app, api, make_user):
    brand, provider = make_user("brand"), make_user("provider", display_name="Tea Studio")
    brand_api = api(brand)
    tenders = []
    for i in range(30):
        r = brand_api.post("/tenders", json=tender_payload(title=f"Tender number {i}"))
        assert r.status_code == 201, r.json
        tenders.append(r.json["id"])
    page = signed_in(app, brand.id)
    with app.app_context():
        engine = db.engine
    counts = {}
    for n, new in ((3, tenders[:3]), (30, tenders[3:])):
        _threads(app, brand, provider, new)
        with counting_queries(engine) as api_statements:
            listed = brand_api.get("/conversations")
        with counting_queries(engine) as page_statements:
            html = page.get("/conversations")
        assert listed.status_code == 200 and html.status_code == 200
        items = listed.json["items"]
        assert len(items) == n
        assert {i["with_name"] for i in items} == {"Tea Studio"}
        assert {i["subject"] for i in items} == {f"Tender number {k}" for k in range(n)}
        assert all(i["unread"] == 1 for i in items)
        text = html.get_data(as_text=True)
        assert text.count("Tea Studio") == n and "Tender number 29" in text if n == 30 else True
        counts[n] = (len(api_statements), len(page_statements))
    assert counts[3] == counts[30], counts


def test_a_further_message_loads_neither_files_nor_the_tender(app, market):
    """A message without files has none to load back; when the reader's notice exists already (it is
    updated), nothing is looked up to describe a new notice (issue 21: both were SELECTs on every message)."""
    m = market(1)
    m.bid(0)
    conv = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "First"}).json["id"]
    with app.app_context():
        engine = db.engine
    with counting_queries(engine) as statements:
        r = m.providers[0].post(f"/conversations/{conv}/messages", json={"body": "Second"})
    assert r.status_code == 201 and r.json["files"] == []
    assert not [s for s in statements if "FROM message_files" in s or "FROM tenders" in s], statements
    notices = m.brand.get("/notifications").json["items"]
    assert [n["kind"] for n in notices if n["kind"] == "message_received"] == ["message_received"]  # updated
