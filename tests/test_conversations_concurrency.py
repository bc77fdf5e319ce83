"""Many people writing in one thread at once: every message is kept, and racing first messages open one
conversation (its unique key), served by a real threaded HTTP server on its own connections."""
from sqlalchemy import func, select

from extensions import db
from models import Conversation, Message
from tests.support.backends import IS_POSTGRES
from tests.test_concurrency import post_json_answer, race


def test_twenty_concurrent_senders_lose_no_message(app, market, live_server):
    n = 20 if IS_POSTGRES else 8  # SQLite serialises writers anyway; fewer keeps its lock waits short
    m = market(1)
    m.bid(0)
    url = f"{live_server.url}/api/v1/conversations"
    # Both sides open the thread at the same instant: one 201, the rest 200 with the same id.
    senders = [m.providers[0] if i % 2 else m.brand for i in range(n)]

    def first(i):
        body = {"tender_id": m.tender_id, "body": f"first {i}"}
        if senders[i] is m.brand:
            body["with_user_id"] = m.provider_users[0].id
        return post_json_answer(url, senders[i].token, body)

    answers = race(n, first)
    assert sorted(code for code, _ in answers) == [200] * (n - 1) + [201], answers
    conv_id = answers[0][1]["id"]
    assert {a["id"] for _, a in answers} == {conv_id}
    url = f"{live_server.url}/api/v1/conversations/{conv_id}/messages"
    codes = race(n, lambda i: post_json_answer(url, senders[i].token, {"body": f"second {i}"})[0])
    assert codes == [201] * n
    with app.app_context():
        assert db.session.scalar(select(func.count(Conversation.id))) == 1
        bodies = set(db.session.scalars(select(Message.body).where(Message.conversation_id == conv_id)))
    assert bodies == {f"first {i}" for i in range(n)} | {f"second {i}" for i in range(n)}
    listed = m.brand.get(f"/conversations/{conv_id}/messages").json["items"]
    assert len(listed) == 2 * n and [x["id"] for x in listed] == sorted(x["id"] for x in listed)
