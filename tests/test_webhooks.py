"""Webhooks (issue 20): signed deliveries to a real receiver, retries, order, disabling, rotation, SSRF,
visibility of payloads, and events of rolled-back transactions."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Notification, OutgoingMail, WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.types import utcnow
from services import permissions, webhooks
from services.runners import webhooks as webhook_delivery
from services.runners.webhooks import Refused, resolve_target
from tests.support.factories import tender_payload
from tests.support.orgs import team
from workers import jobs

pytest_plugins = ["tests.support.webhook_receiver"]


@pytest.fixture
def hooks(app, monkeypatch, receiver):
    """Receivers on 127.0.0.1, which webhooks may call only as in development and tests."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    return receiver


def verify(secret: str, header: str, body: bytes) -> bool:
    """An independent check of `Witkey-Signature` (as a receiver's code would do it)."""
    parts = [p.split("=", 1) for p in header.split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


def sweep(app, later: timedelta = timedelta(0)):
    """Run the retry job as the scheduler would, `later` from now."""
    with app.app_context():
        return webhook_delivery.retry_due(utcnow() + later)


def register(api_client, url, events=("*",)):
    r = api_client.post("/webhooks", json={"url": url, "events": list(events), "description": "ops"})
    assert r.status_code == 201, r.json
    return r.json


def test_a_signed_event_reaches_the_receiver(app, api, make_user, hooks):
    hook = hooks()
    brand = api(make_user("brand"))
    endpoint = register(brand, hook.url, ["tender.published"])
    assert endpoint["secret"].startswith("whsec_") and "secret" not in brand.get(f"/webhooks/{endpoint['id']}").json

    tender = brand.post("/tenders", json=tender_payload()).json
    assert sweep(app) == {"delivered": 1}

    [got] = hook.requests
    assert verify(endpoint["secret"], got.headers["Witkey-Signature"], got.body)
    assert not verify("whsec_wrong", got.headers["Witkey-Signature"], got.body)
    event = json.loads(got.body)
    assert event["type"] == "tender.published" and event["data"]["tender"]["id"] == tender["id"]
    assert got.headers["Witkey-Event-Id"] == event["id"] and set(event) == {"id", "type", "created_at", "data"}

    log = brand.get(f"/webhooks/{endpoint['id']}/deliveries").json["items"]
    assert [(d["event_id"], d["type"], d["status_code"], d["attempts"]) for d in log] == \
        [(event["id"], "tender.published", 200, 1)]
    assert log[0]["delivered_at"] and log[0]["response_ms"] is not None


def test_receiver_killed_midway_loses_nothing_and_keeps_order(app, api, make_user, hooks):
    hook = hooks()
    brand = api(make_user("brand"))
    endpoint = register(brand, hook.url)
    tender_id = brand.post("/tenders", json=tender_payload()).json["id"]
    sweep(app)
    assert len(hook.requests) == 1

    hook.stop()  # the receiver dies: the next events fail and wait
    assert brand.post(f"/tenders/{tender_id}/close").status_code == 200
    assert brand.post(f"/tenders/{tender_id}/cancel", json={"reason": "budget cut"}).status_code == 200
    assert sweep(app) == {"retry": 1}  # the cancel waits behind the close: same tender
    assert sweep(app, timedelta(seconds=5)) == {}  # nothing is due before the backoff

    hook.start()  # back on the same port
    sweep(app, timedelta(minutes=1))
    sweep(app, timedelta(minutes=2))
    types = [json.loads(r.body)["type"] for r in hook.requests]
    assert types == ["tender.published", "tender.closed", "tender.cancelled"]
    with app.app_context():
        events = set(db.session.scalars(select(WebhookEvent.public_id)))
        statuses = set(db.session.scalars(select(WebhookDelivery.status)))
    assert {r.headers["Witkey-Event-Id"] for r in hook.requests} == events and statuses == {"delivered"}
    log = brand.get(f"/webhooks/{endpoint['id']}/deliveries").json["items"]
    assert sorted(d["attempts"] for d in log) == [1, 1, 2]


def test_an_earlier_failure_holds_later_events_of_the_same_resource_only(app, api, make_user, hooks):
    hook = hooks(answers=[500])
    brand = api(make_user("brand"))
    register(brand, hook.url)
    first = brand.post("/tenders", json=tender_payload()).json["id"]
    brand.post(f"/tenders/{first}/close")
    second = brand.post("/tenders", json=tender_payload(title="A second tender, other resource")).json["id"]
    assert sweep(app) == {"retry": 1, "delivered": 1}
    assert [json.loads(r.body)["data"]["tender"]["id"] for r in hook.requests] == [first, second]
    sweep(app, timedelta(minutes=1))
    sweep(app, timedelta(minutes=1))  # the close was queued when the publish got through
    assert [json.loads(r.body)["type"] for r in hook.requests[2:]] == ["tender.published", "tender.closed"]


def test_retries_stop_after_three_days(app, api, make_user, hooks):
    hook = hooks(default=503)
    brand = api(make_user("brand"))
    register(brand, hook.url, ["tender.published"])
    brand.post("/tenders", json=tender_payload())
    for hours in range(0, 80, 3):
        sweep(app, timedelta(hours=hours))
    with app.app_context():
        delivery = db.session.scalar(select(WebhookDelivery))
        assert delivery.status == "failed" and delivery.attempts > 5 and delivery.status_code == 503
    assert sweep(app, timedelta(days=5)) == {}


def test_repeated_failure_disables_the_endpoint_and_tells_the_owner(app, api, make_user, hooks,
                                                                     monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_DISABLE_AFTER", 3)
    hook = hooks(default=500)
    owner = make_user("brand")
    brand = api(owner)
    endpoint = register(brand, hook.url)
    for n in range(3):
        brand.post("/tenders", json=tender_payload(title=f"Tender number {n} for the hook"))
    sweep(app)
    assert len(hook.requests) == 3
    got = brand.get(f"/webhooks/{endpoint['id']}").json
    assert got["enabled"] is False and got["disabled_reason"] == "failures"
    with app.app_context():
        told = db.session.scalar(select(Notification.kind).where(Notification.user_id == owner.id))
        mailed = db.session.scalar(select(OutgoingMail.to_address).where(OutgoingMail.kind == "notification"))
        assert (told, mailed) == ("webhook_disabled", owner.email)
    sweep(app, timedelta(hours=1))
    assert len(hook.requests) == 3  # nothing goes to a disabled endpoint

    hook.default = 200
    r = brand.raw("PATCH", f"/webhooks/{endpoint['id']}", json.dumps({"enabled": True}))
    assert r.status_code == 200 and r.json["enabled"] and r.json["failure_streak"] == 0
    sweep(app, timedelta(hours=1))
    assert len(hook.requests) == 6  # what waited is sent once it is on again


def test_redelivery_sends_the_same_event_again(app, api, make_user, hooks):
    hook = hooks()
    brand = api(make_user("brand"))
    endpoint = register(brand, hook.url)
    brand.post("/tenders", json=tender_payload())
    sweep(app)
    [first] = brand.get(f"/webhooks/{endpoint['id']}/deliveries").json["items"]
    r = brand.post(f"/webhooks/{endpoint['id']}/deliveries/{first['id']}/redeliver")
    assert r.status_code == 201 and r.json["event_id"] == first["event_id"] and r.json["status"] == "pending"
    sweep(app)
    assert [x.headers["Witkey-Event-Id"] for x in hook.requests] == [first["event_id"]] * 2
    other = api(make_user("brand"))
    assert other.post(f"/webhooks/{endpoint['id']}/deliveries/{first['id']}/redeliver").status_code == 404


def test_rotation_signs_with_both_secrets_during_the_overlap(app, api, make_user, hooks):
    hook = hooks()
    brand = api(make_user("brand"))
    endpoint = register(brand, hook.url, ["tender.published"])
    rotated = brand.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={"overlap_hours": 24}).json
    assert rotated["secret"] != endpoint["secret"] and rotated["rotation_overlap_until"]

    brand.post("/tenders", json=tender_payload())
    sweep(app)
    got = hook.requests[-1]
    assert got.headers["Witkey-Signature"].count("v1=") == 2
    assert verify(endpoint["secret"], got.headers["Witkey-Signature"], got.body)
    assert verify(rotated["secret"], got.headers["Witkey-Signature"], got.body)

    brand.post("/tenders", json=tender_payload(title="After the overlap has ended"))
    sweep(app, timedelta(hours=25))
    got = hook.requests[-1]
    assert got.headers["Witkey-Signature"].count("v1=") == 1
    assert verify(rotated["secret"], got.headers["Witkey-Signature"], got.body)
    assert not verify(endpoint["secret"], got.headers["Witkey-Signature"], got.body)


def test_a_sealed_bid_amount_never_leaves(app, api, make_user, market, hooks):
    hook = hooks()
    m = market(1, sealed=True)
    register(m.brand, hook.url, ["bid.submitted"])
    provider_hook = hooks()
    register(m.providers[0], provider_hook.url, ["bid.submitted"])
    bid = m.bid(0, amount=123456_78)
    sweep(app)
    [got] = hook.requests
    data = json.loads(got.body)["data"]["bid"]
    assert data["id"] == bid["id"] and "amount" not in data and "provider_id" not in data
    assert b"12345678" not in got.body and b"proposal" not in got.body
    assert len(provider_hook.requests) == 1  # the bidder's own endpoint hears of its bid


def test_only_events_the_owner_may_see_are_delivered(app, api, make_user, market, hooks):
    m = market(2)
    stranger_hook, rival_hook, staff_hook = hooks(), hooks(), hooks()
    register(api(make_user("brand")), stranger_hook.url)
    register(m.providers[1], rival_hook.url, ["bid.submitted", "tender.closed"])
    register(api(make_user("admin")), staff_hook.url, ["bid.submitted"])
    m.bid(0)
    m.close()
    sweep(app)
    # another brand's bids are none of its business; the public tender's closing is anyone's
    assert [json.loads(r.body)["type"] for r in stranger_hook.requests] == ["tender.closed"]
    assert [json.loads(r.body)["type"] for r in rival_hook.requests] == ["tender.closed"]  # public tender only
    assert len(staff_hook.requests) == 1  # staff endpoints hear platform-wide


def test_an_event_of_a_rolled_back_transaction_is_never_delivered(app, api, make_user, hooks):
    hook = hooks()
    user = make_user("brand")
    register(api(user), hook.url)
    with app.test_request_context():
        webhooks.emit("tender.published", "tender:999", {"tender": {"id": 999}}, [user.id])
        db.session.rollback()
    sweep(app, timedelta(minutes=5))
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(WebhookEvent)) == 0
    assert hook.requests == []


@pytest.mark.parametrize("url", [
    "https://localhost/hooks", "https://127.0.0.1/hooks", "https://10.1.2.3/x", "https://192.168.0.1/x",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x",
    "http://example.com/x", "ftp://example.com/x",
])
def test_private_and_non_https_targets_are_refused(app, url):
    with app.app_context(), pytest.raises(Refused):
        resolve_target(url, allow_private=False)


def test_refused_at_registration_and_at_delivery(app, api, make_user, receiver, monkeypatch):
    hook = receiver()
    brand = api(make_user("brand"))
    r = brand.post("/webhooks", json={"url": hook.url, "events": ["*"]})
    assert r.status_code == 422 and "url" in r.json["error"]["fields"]
    assert brand.post("/webhooks", json={"url": "https://localhost/x", "events": ["*"]}).status_code == 422
    assert brand.post("/webhooks", json={"url": "https://hooks.example.com/x", "events": ["nope"]}).status_code == 422

    # Saved while allowed (as in development), then refused at delivery once it is not: checked after DNS.
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    endpoint = register(brand, hook.url.replace("127.0.0.1", "localhost"))
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    brand.post("/tenders", json=tender_payload())
    sweep(app)
    assert hook.requests == []
    [row] = brand.get(f"/webhooks/{endpoint['id']}/deliveries").json["items"]
    assert row["status_code"] is None and row["error"].startswith("refused") and row["status"] == "pending"


def test_redirects_are_not_followed(app, api, make_user, hooks):
    target = hooks()
    hook = hooks(default=302, location=target.url)
    brand = api(make_user("brand"))
    endpoint = register(brand, hook.url)
    brand.post("/tenders", json=tender_payload())
    sweep(app)
    assert len(hook.requests) == 1 and target.requests == []
    [row] = brand.get(f"/webhooks/{endpoint['id']}/deliveries").json["items"]
    assert row["status_code"] == 302 and row["status"] == "pending" and "redirect" in row["error"]


def test_endpoints_are_the_owners_and_404_to_others(app, api, make_user):
    brand = api(make_user("brand"))
    endpoint = register(brand, "https://hooks.example.com/witkey")
    other = api(make_user("provider"))
    for call in (lambda c: c.get(f"/webhooks/{endpoint['id']}"),
                 lambda c: c.delete(f"/webhooks/{endpoint['id']}"),
                 lambda c: c.post(f"/webhooks/{endpoint['id']}/rotate-secret", json={}),
                 lambda c: c.get(f"/webhooks/{endpoint['id']}/deliveries")):
        assert call(other).status_code == 404
    assert other.get("/webhooks").json == {"items": []}
    r = brand.raw("PATCH", f"/webhooks/{endpoint['id']}", json.dumps({"events": ["bid.submitted"]}))
    assert r.status_code == 200 and r.json["events"] == ["bid.submitted"] and r.json["url"].endswith("/witkey")
    assert [e["id"] for e in brand.get("/webhooks").json["items"]] == [endpoint["id"]]
    assert brand.delete(f"/webhooks/{endpoint['id']}").status_code == 204
    assert brand.get(f"/webhooks/{endpoint['id']}").status_code == 404


def test_members_see_their_owners_endpoints_as_403(app, client):
    members = team(app, client, "provider", ["finance", "bid_manager"])
    owner = members["owner"][1]
    endpoint = register(owner, "https://hooks.example.com/witkey")
    for role in ("finance", "bid_manager"):
        member = members[role][1]
        assert member.post("/webhooks", json={"url": "https://x.example.com/h", "events": ["*"]}).status_code == 403
        assert member.get(f"/webhooks/{endpoint['id']}").status_code == 403
        assert member.get("/webhooks").status_code == 403


def test_only_owners_may_manage_webhooks():
    assert "webhook.manage" in permissions.BRAND_ACTIONS["owner"]
    assert all("webhook.manage" not in actions
               for role, actions in permissions.BRAND_ACTIONS.items() if role != "owner")
    assert all("webhook.manage" not in actions
               for role, actions in permissions.PROVIDER_ACTIONS.items() if role != "owner")


def test_the_delivery_job_is_a_worker_job(app, api, make_user, hooks):
    hook = hooks()
    brand = api(make_user("brand"))
    register(brand, hook.url, ["tender.published"])
    brand.post("/tenders", json=tender_payload())
    with app.app_context():
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
        assert jobs.deliver_webhook(delivery_id) == "delivered"
        assert jobs.deliver_webhook(delivery_id) is None  # run twice: sent once
        assert db.session.get(WebhookEndpoint, db.session.get(WebhookDelivery, delivery_id).endpoint_id)
    assert len(hook.requests) == 1


def test_a_message_reaches_the_recipients_endpoint_as_metadata_only(app, deal, hooks):
    """message.received goes to the other side's endpoint, never the sender's, and never with the text."""
    hook, own = hooks(), hooks()
    d = deal()
    provider_hook = register(d.provider, hook.url, ["message.received"])
    register(d.brand, own.url, ["message.received"])
    text = "Call me on 13800138000 about the shoot"
    r = d.brand.post("/conversations", json={"contract_id": d.contract_id, "body": text})
    assert r.status_code == 201, r.json
    sweep(app)
    [got] = hook.requests
    assert own.requests == []
    assert verify(provider_hook["secret"], got.headers["Witkey-Signature"], got.body)
    event = json.loads(got.body)
    assert event["type"] == "message.received" and event["data"]["conversation_id"] == r.json["id"]
    assert event["data"]["contract_id"] == d.contract_id and b"13800138000" not in got.body
