"""localstripe and our Connect router (tests/support/fake_stripe_connect.py) in their own processes, an app
configured for Stripe through the router, served so localstripe's webhooks reach it; and the helpers that
act as Stripe.js and as the Stripe dashboard in tests."""
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import stripe
from sqlalchemy import select

from extensions import db
from models import StripePayment
from tests.support.backends import make_app
from tests.support.browser import LiveServer
from tests.support.web import Api

WEBHOOK_SECRET = "whsec_witkey_test"
SECRET_KEY = "sk_test_witkey"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/v1/customers", timeout=1)  # noqa: S310
    except urllib.error.HTTPError:
        return True  # a 401 without a key is an answer: it is up
    except OSError:
        return False
    return True


def start_server(script: str, *args: str) -> tuple[subprocess.Popen, str]:
    """tests/support/<script> PORT *args, once it answers HTTP. A port taken between free_port() and the bind
    makes the process exit: then another port is tried."""
    error = ""
    for _ in range(3):
        url = f"http://127.0.0.1:{(port := free_port())}"
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen([sys.executable, str(Path(__file__).with_name(script)), str(port), *args],
                                       stdout=subprocess.DEVNULL, stderr=log)
            deadline = time.monotonic() + 20
            while process.poll() is None and time.monotonic() < deadline:
                if answers(url):
                    return process, url
                time.sleep(0.1)
            stop(process)
            log.seek(0)
            error = log.read().decode(errors="replace")[-2000:]
    raise RuntimeError(f"{script} did not start: {error}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def stripe_server():
    """The Stripe API base the tests and the app use: tests/support/fake_stripe_connect.py (Connect: accounts,
    account links, transfers, reversals; Stripe's idempotency) in front of an unmodified localstripe,
    to which it proxies everything else."""
    localstripe_process, localstripe_url = start_server("localstripe_launcher.py")
    try:
        router, url = start_server("fake_stripe_connect.py", localstripe_url)
    except BaseException:
        stop(localstripe_process)
        raise
    yield url
    stop(router)
    stop(localstripe_process)


@pytest.fixture(scope="session")
def localstripe(stripe_server):
    """The older name: the same API base, so every Stripe call goes through the router."""
    return stripe_server


@pytest.fixture(autouse=True)
def _stripe_forgets_idempotency_keys(request):
    """Each test starts on an emptied database whose ids start again, so the app's idempotency keys
    (`fund:milestone:1:attempt:1`) repeat from test to test; Stripe, and the router, would replay the
    earlier test's answer for 24 h. Forgetting the keys is the Stripe side of emptying the database."""
    if "stripe_server" in request.fixturenames:
        url = request.getfixturevalue("stripe_server")
        urllib.request.urlopen(urllib.request.Request(f"{url}/_connect/idempotency/reset", data=b""),  # noqa: S310
                               timeout=10)


@pytest.fixture(scope="session")
def stripe_app(app, stripe_server):
    stripe_app = make_app(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=stripe_server,
                          STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_JS_URL=f"{stripe_server}/js.stripe.com/v3/")
    with LiveServer(stripe_app) as server:
        body = f"url={server.url}/webhooks/stripe&secret={WEBHOOK_SECRET}".encode()
        request = urllib.request.Request(f"{stripe_server}/_config/webhooks/witkey", data=body, method="POST",  # noqa: S310
                                         headers={"Authorization": f"Bearer {SECRET_KEY}"})
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
        stripe_app.live_url = server.url
        yield stripe_app


@pytest.fixture
def empty_stripe(stripe_server):
    """Stripe as empty as the test's database (the reconciliation lists everything Stripe holds)."""
    for path, method in (("/_connect/reset", "POST"), ("/_config/data", "DELETE")):  # Connect and disputes; localstripe
        request = urllib.request.Request(stripe_server + path, data=b"" if method == "POST" else None,  # noqa: S310
                                         method=method, headers={"Authorization": f"Bearer {SECRET_KEY}"})
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 (the local test server)
    return stripe_server


@pytest.fixture
def connect(stripe_server):
    """The Stripe API base with Connect's state emptied (payout ids restart with every test's database)."""
    call(stripe_server, "/_connect/reset", method="POST")
    return stripe_server


def stripe_api(stripe_app, caller: Api) -> Api:
    """The same user, talking to the Stripe-configured app."""
    return Api(stripe_app.test_client(), caller.token)


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header computed the way Stripe does."""
    at = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def event_payload(event_type: str, intent: dict, event_id: str = "evt_test_1") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
                       "data": {"object": intent}}).encode()


# --- acting as Stripe.js and as Stripe's side ----------------------------------------------------

def stripe_client(localstripe) -> stripe.StripeClient:
    """The real `stripe` client on the test server, as the Stripe dashboard or Stripe.js would act."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe}, max_network_retries=0)


def pay_like_stripe_js(localstripe, payment_intent_id: str, number: str = "4242424242424242"):
    """What Stripe.js does in the browser: attach a card and confirm the PaymentIntent."""
    c = stripe_client(localstripe)
    method = c.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    c.v1.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    return c.v1.payment_intents.confirm(payment_intent_id)


def wait_for(check, seconds: float = 15):
    """Poll `check()` until it is true (webhooks arrive from localstripe's own process) or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def payment_intent_of(app, milestone_id) -> str:
    with app.app_context():
        return db.session.scalars(select(StripePayment.payment_intent_id)
                                  .where(StripePayment.milestone_id == milestone_id)).one()


def card_attempt(d, stripe_app, app):
    """The deal's first milestone with an open card attempt: (brand caller, milestone id, intent id)."""
    brand = stripe_api(stripe_app, d.brand)
    mid = d.milestone_ids[0]
    brand.post(f"/milestones/{mid}/fund")
    return brand, mid, payment_intent_of(app, mid)


def funded_by_card(d, stripe_app, localstripe, app):
    """The deal's first milestone, paid by card and confirmed by Stripe's webhook."""
    brand, mid, intent_id = card_attempt(d, stripe_app, app)
    pay_like_stripe_js(localstripe, intent_id)
    assert wait_for(lambda: brand.get(f"/milestones/{mid}").json["status"] == "funded")
    return brand, mid, intent_id


# --- Connect, through the fake's own endpoints -----------------------------------------------------

def call(base: str, path: str, data: dict | None = None, method: str | None = None) -> dict:
    """One request to the Stripe API base (form-encoded in, JSON out), with the test secret key."""
    body = urllib.parse.urlencode(data or {}).encode() if data is not None or method == "POST" else None
    request = urllib.request.Request(base + path, data=body, method=method,  # noqa: S310 (the local test server)
                                     headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def onboarded(base: str, n: int) -> list[str]:
    """n Express accounts that finished onboarding (transfers enabled)."""
    ids = []
    for _ in range(n):
        account = call(base, "/v1/accounts", {"type": "express", "capabilities[transfers][requested]": "true"})["id"]
        call(base, f"/_connect/accounts/{account}/complete_onboarding", method="POST")
        ids.append(account)
    return ids
