"""Issue 22 item 10: with the rate limiter's Redis unreachable, login, token issuance and registration
answer as usual (no 500), and the limits still bite, counted per process in memory."""
import logging

import pytest

from extensions import get_redis
from tests.support.backends import make_app, restore_limiter
from tests.support.web import PASSWORD, csrf_token, form_post

NOTHING_LISTENS = "redis://127.0.0.1:1/0"  # port 1: connection refused at once


@pytest.fixture
def limiter_down_app(caplog):
    """An app whose own Redis (REDIS_URL) works but whose limiter storage is unreachable."""
    caplog.set_level(logging.WARNING, logger="flask-limiter")
    app = make_app(LOGIN_RATE_LIMIT="4 per minute", RATELIMIT_STORAGE_URI=NOTHING_LISTENS)
    with app.app_context():
        assert get_redis().ping()
    yield app
    restore_limiter()


def fell_back(caplog) -> bool:
    return any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)


def test_tokens_and_registration_answer_and_still_limit_with_limiter_redis_down(limiter_down_app, make_user,
                                                                                  caplog):
    user = make_user("brand")
    client = limiter_down_app.test_client()
    r = client.post("/api/v1/auth/register", json={"email": "new@example.com", "password": "long enough pw",
                                                   "role": "provider", "display_name": "Guangying Studio"})
    assert r.status_code == 201
    codes = [client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD}).status_code]
    codes += [client.post("/api/v1/auth/tokens", json={"email": user.email, "password": "wrong password"})
              .status_code for _ in range(4)]
    assert codes == [201, 401, 401, 401, 429]
    assert fell_back(caplog)


def test_web_login_answers_and_still_limits_with_limiter_redis_down(limiter_down_app, make_user, caplog):
    user = make_user("brand")
    client = limiter_down_app.test_client()
    wrong = form_post(client, "/login", {"email": user.email, "password": "wrong password"}, page="/login")
    assert wrong.status_code == 200 and 'name="password"' in wrong.get_data(as_text=True)
    right = form_post(client, "/login", {"email": user.email, "password": PASSWORD}, page="/login")
    assert right.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    codes = [form_post(client, "/login", {"email": user.email, "password": "wrong password"}, page="/login")
             .status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert fell_back(caplog)
