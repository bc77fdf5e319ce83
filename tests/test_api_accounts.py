"""Accounts endpoints of the contract: register, tokens, me — success and every error class."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import ApiToken, User
from services.accounts import revoke_token
from tests.support.backends import make_app
from tests.support.web import PASSWORD


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_register_creates_account_with_profile(api, app):
    r = api().post("/auth/register", json={"email": "Shop@Example.com", "password": "long enough pw",
                                          "role": "provider", "display_name": "Guangying Studio"})
    assert r.status_code == 201
    assert r.json == {"id": r.json["id"], "email": "shop@example.com", "role": "provider",
                      "display_name": "Guangying Studio", "email_verified": False}
    with app.app_context():
        user = db.session.get(User, r.json["id"])
        assert user.provider_profile.company_name == "Guangying Studio"
        assert user.password_hash.startswith("$argon2id$")


def test_register_duplicate_email_is_409_and_changes_nothing(api, app, make_user):
    make_user("brand", email="taken@example.com")
    before = count(app, User)
    r = api().post("/auth/register", json={"email": "TAKEN@example.com", "password": "long enough pw",
                                          "role": "brand", "display_name": "Other"})
    assert r.status_code == 409
    assert r.json["error"]["code"] == "email_taken"
    assert count(app, User) == before


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "password": "long enough pw", "role": "brand", "display_name": "X"}, "email"),
    ({"email": "a@example.com", "password": "short", "role": "brand", "display_name": "X"}, "password"),
    ({"email": "a@example.com", "password": "long enough pw", "role": "admin", "display_name": "X"}, "role"),
    ({"email": "a@example.com", "password": "long enough pw", "role": "brand", "display_name": "  "},
     "display_name"),
    ({"email": "a@example.com", "password": "long enough pw", "role": "brand"}, "display_name"),
])
def test_register_invalid_values_are_422_with_the_field(api, app, body, field):
    r = api().post("/auth/register", json=body)
    assert r.status_code == 422
    assert field in r.json["error"]["fields"]
    assert count(app, User) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"a string"',
                                 b'{"email": 5, "password": "long enough pw", "role": "brand", "display_name": "X"}'])
def test_malformed_or_mistyped_json_is_400(api, app, raw):
    r = api().raw("POST", "/auth/register", raw)
    assert r.status_code == 400
    assert r.json["error"]["code"] == "bad_request"
    assert count(app, User) == 0


def test_token_exchange_and_me(api, make_user):
    user = make_user("brand")
    caller = api(user)
    r = caller.get("/me")
    assert r.status_code == 200
    assert r.json["id"] == user.id and r.json["role"] == "brand" and r.json["balances"] == []


def test_wrong_credentials_are_401(api, make_user):
    user = make_user("brand")
    for body in ({"email": user.email, "password": "wrong password"},
                 {"email": "nobody@example.com", "password": PASSWORD}):
        r = api().post("/auth/tokens", json=body)
        assert r.status_code == 401
        assert r.json["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wk_forged", "Basic abc", "wk_token-without-scheme"])
def test_me_without_a_valid_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert set(r.json["error"]) >= {"code", "message"}


def test_tokens_are_stored_hashed_and_revocation_ends_access(api, app, make_user):
    user = make_user("provider")
    caller = api(user)
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).one()
        assert caller.token not in (token.token_hash, token.prefix)
        assert len(token.token_hash) == 64
        revoke_token(db.session.get(User, user.id), token.id)
        db.session.commit()
    assert caller.get("/me").status_code == 401


def test_deactivated_user_token_is_401(api, app, make_user):
    user = make_user("brand")
    caller = api(user)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert caller.get("/me").status_code == 401


def test_token_endpoint_is_rate_limited():
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/auth/tokens", json={"email": "x@example.com", "password": "whatever pw"}).status_code
             for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    r = client.post("/api/v1/auth/tokens", json={"email": "x@example.com", "password": "whatever pw"})
    assert r.json["error"]["code"] == "rate_limited"


def test_unknown_api_route_and_method_answer_json(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.delete("/api/v1/tenders")
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
