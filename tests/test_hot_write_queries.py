"""What a message costs does not grow with what piled up before it (issue 21): neither with the thread's
length nor with the reader's unread notices of other threads. The reader's notice of this thread is
asked for in SQL, so only that one row is loaded; a message once loaded every unread message notice of
the reader and picked the thread's in Python."""
from sqlalchemy import event

from extensions import db
from models import ConversationRead, Message, Notification, Tender
from tests.support.queries import counting_queries


def _send(m, conv: int, body: str):
    r = m.providers[0].post(f"/conversations/{conv}/messages", json={"body": body})
    assert r.status_code == 201, r.json
    return r


def test_a_message_loads_only_its_threads_notice_and_costs_the_same_in_a_long_thread(app, market):
    m = market(1)
    m.bid(0)
    conv = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "First"}).json["id"]
    with app.app_context():
        engine = db.engine
        brand_id = db.session.get(Tender, m.tender_id).brand_id
        sender = m.provider_users[0].id
        # the brand has unread notices of 40 other threads, and this thread 40 more messages
        db.session.add_all(Notification(user_id=brand_id, kind="message_received", params={"count": 1},
                                        endpoint="conversations.detail", url_args={"conversation_id": conv + k})
                           for k in range(1, 41))
        db.session.add_all(Message(conversation_id=conv, sender_id=sender, sender_account_id=sender,
                                   body=f"Earlier {k}", contact_warning=False) for k in range(40))
        db.session.commit()
    _send(m, conv, "Second")  # the brand's notice of this thread exists from the first message
    loaded = []

    def on_load(target, _context):
        loaded.append(target.url_args)

    event.listen(Notification, "load", on_load)
    try:
        with counting_queries(engine) as statements:
            _send(m, conv, "Third")
    finally:
        event.remove(Notification, "load", on_load)
    assert loaded == [{"conversation_id": conv}], loaded
    with counting_queries(engine) as again:
        _send(m, conv, "Fourth")
    assert len(again) == len(statements), (statements, again)
    with app.app_context():
        notice = db.session.scalar(db.select(Notification).where(
            Notification.user_id == brand_id, Notification.read_at.is_(None),
            Notification.url_args["conversation_id"].as_integer() == conv))
        assert notice.params["count"] == 4 and notice.params["excerpt"] == "Fourth"


def test_reading_up_to_a_message_never_moves_the_mark_back(app, market):
    """The sender's read mark is an upsert that keeps the furthest of the two (another tab read further)."""
    m = market(1)
    m.bid(0)
    conv = m.providers[0].post("/conversations", json={"tender_id": m.tender_id, "body": "First"}).json["id"]
    with app.app_context():
        row = db.session.get(ConversationRead, (conv, m.provider_users[0].id))
        row.last_read_id = 10**9  # as if read further than any message yet
        db.session.commit()
    _send(m, conv, "Second")
    with app.app_context():
        assert db.session.get(ConversationRead, (conv, m.provider_users[0].id)).last_read_id == 10**9
