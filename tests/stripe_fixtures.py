"""localstripe in its own process, an app configured for Stripe, served so webhooks reach it."""
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser import LiveServer
from tests.conftest import TEST_CONFIG, Api, make_app

WEBHOOK_SECRET = "whsec_witkey_test"
SECRET_KEY = "sk_test_witkey"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    port = free_port()
    process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("localstripe_launcher.py")), str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1)  # noqa: S310
        except urllib.error.HTTPError:
            break  # it answers (401 without a key): up
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("localstripe did not start")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def stripe_app(app, localstripe):
    config = {k: v for k, v in TEST_CONFIG.items() if k not in ("SERVER_NAME", "TESTING")}
    stripe_app = make_app(**config, STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=localstripe,
                          STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/")
    with LiveServer(stripe_app) as server:
        body = f"url={server.url}/webhooks/stripe&secret={WEBHOOK_SECRET}".encode()
        request = urllib.request.Request(f"{localstripe}/_config/webhooks/witkey", data=body, method="POST",  # noqa: S310
                                         headers={"Authorization": f"Bearer {SECRET_KEY}"})
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
        stripe_app.live_url = server.url
        yield stripe_app


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
