"""The account's Webhooks page: create with the secret shown once, switch off and on, rotate, the delivery
log with status codes and response times, redelivery; only the organisation's owner."""
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import WebhookDelivery, WebhookEndpoint
from services.runners import webhooks as runner
from tests.support.factories import tender_payload
from tests.support.web import form_post, switch

pytest_plugins = ["tests.support.webhook_receiver"]
SECRET = re.compile(r'data-testid="new-secret">.*?<code class="token">(whsec_[0-9a-f]+)</code>', re.S)


def _endpoint(app):
    with app.app_context():
        return db.session.scalar(select(WebhookEndpoint))


@pytest.fixture
def local_receiver(app, monkeypatch, receiver):
    """A receiver on 127.0.0.1, which webhooks may call only as in development and tests."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", True)
    return receiver


@pytest.fixture
def signed_in_brand(login, make_user):
    user = make_user("brand")
    login(user)
    return user


def test_owner_manages_endpoints_on_the_page(app, client, signed_in_brand, api, local_receiver):
    hook = local_receiver(answers=[500])
    user = signed_in_brand
    assert client.get("/account/webhooks").status_code == 200
    r = form_post(client, "/account/webhooks", {"url": hook.url, "events": ["tender.published", "tender.closed"],
                                                "description": "ERP"})
    assert r.status_code == 200
    secret = SECRET.search(r.get_data(as_text=True)).group(1)
    endpoint = _endpoint(app)
    assert endpoint.secret == secret and endpoint.events == ["tender.closed", "tender.published"]
    assert secret not in client.get("/account/webhooks").get_data(as_text=True)  # shown once

    bad = form_post(client, "/account/webhooks", {"url": "ftp://x.example.com", "events": ["*"]},
                    page="/account/webhooks")
    assert bad.status_code == 422

    api(user).post("/tenders", json=tender_payload())
    with app.app_context():
        runner.retry_due()  # the worker's sweep
    page = client.get("/account/webhooks").get_data(as_text=True)
    assert "tender.published" in page and ">500<" in page and re.search(r"\d+ (ms|毫秒)", page)
    with app.app_context():
        delivery_id = db.session.scalar(select(WebhookDelivery.id))
    r = form_post(client, f"/account/webhooks/{endpoint.id}/deliveries/{delivery_id}/redeliver", {},
                  page="/account/webhooks")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(WebhookDelivery)) == 2

    form_post(client, f"/account/webhooks/{endpoint.id}/off", {}, page="/account/webhooks")
    assert _endpoint(app).disabled_at is not None
    form_post(client, f"/account/webhooks/{endpoint.id}/on", {}, page="/account/webhooks")
    assert _endpoint(app).disabled_at is None
    r = form_post(client, f"/account/webhooks/{endpoint.id}/rotate", {}, page="/account/webhooks")
    rotated = SECRET.search(r.get_data(as_text=True)).group(1)
    assert rotated != secret and _endpoint(app).previous_secret == secret


def test_another_account_cannot_touch_the_endpoint(app, client, login, make_user):
    owner = make_user("brand")
    login(owner)
    form_post(client, "/account/webhooks", {"url": "https://hooks.example.com/a", "events": ["*"]})
    endpoint = _endpoint(app)
    switch(client, make_user("provider"))
    r = form_post(client, f"/account/webhooks/{endpoint.id}/off", {}, page="/account/webhooks")
    assert r.status_code == 404 and _endpoint(app).disabled_at is None
    assert "hooks.example.com" not in client.get("/account/webhooks").get_data(as_text=True)
