"""Register, log in, log out through the forms: CSRF, rate limit, cookie flags, safe redirects."""
import pytest
from sqlalchemy import func, select

from extensions import db
from models import User
from tests.support.backends import make_app
from tests.support.web import PASSWORD, csrf_token, form_post

REGISTER = {"role": "brand", "display_name": "Moshan Tea", "email": "tea@example.com",
            "password": "long enough pw", "confirm": "long enough pw"}


def users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_the_account_and_sends_to_the_login_page(client, app):
    r = form_post(client, "/register", REGISTER)
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert users(app) == 1
    r = form_post(client, "/login", {"email": REGISTER["email"], "password": REGISTER["password"]})
    assert r.status_code == 302
    assert "Moshan Tea" in client.get("/account/profile").get_data(as_text=True)


def test_register_errors_show_on_the_form_and_create_nothing(client, app, make_user):
    make_user("brand", email="tea@example.com")
    r = form_post(client, "/register", {**REGISTER, "email": "new@example.com", "confirm": "different pw"})
    assert r.status_code == 200
    assert users(app) == 1


def test_post_without_csrf_token_is_refused(client, app):
    r = client.post("/register", data=REGISTER)
    assert r.status_code == 400
    assert users(app) == 0


def test_login_logout(client, make_user):
    user = make_user("provider")
    r = form_post(client, "/login", {"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 302
    assert client.get("/account").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert r.status_code == 302
    r = client.get("/account")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_wrong_password_is_a_form_error(client, make_user):
    user = make_user("brand")
    r = form_post(client, "/login", {"email": user.email, "password": "not it at all"},
                  headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert "Wrong e-mail or password." in r.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("brand")
    r = form_post(client, "/login", {"email": user.email, "password": PASSWORD})
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_redirects_only_to_this_site(client, make_user):
    user = make_user("brand")
    r = form_post(client, "/login?next=https://evil.example/phish", {"email": user.email, "password": PASSWORD},
                  page="/login")
    assert r.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    r = form_post(client, "/login?next=/tenders/mine", {"email": user.email, "password": PASSWORD}, page="/login")
    assert r.headers["Location"].endswith("/tenders/mine")


def test_login_is_rate_limited_per_client():
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    codes = []
    for _ in range(4):
        token = csrf_token(client, "/login")
        codes.append(client.post("/login", data={"email": "x@example.com", "password": "whatever pw",
                                                 "csrf_token": token}).status_code)
    assert codes == [200, 200, 429, 429]


def test_pages_behind_login_redirect_to_it(client):
    for path in ("/account", "/account/profile", "/tenders/new", "/tenders/mine", "/admin/providers"):
        r = client.get(path)
        assert r.status_code == 302 and "/login" in r.headers["Location"], path


@pytest.mark.parametrize("target", ["/\\evil.example", "/%09/evil.example", "/\t/evil.example"])
def test_login_never_redirects_off_site(client, make_user, target):

    user = make_user("brand")
    r = form_post(client, "/login?next=" + target, {"email": user.email, "password": PASSWORD}, page="/login")
    assert r.headers["Location"] == "/"
