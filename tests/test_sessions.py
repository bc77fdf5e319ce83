"""Logins can be revoked: a session cookie, a "keep me logged in" cookie or an API token copied
before a logout, a password change, a reset or "sign out everywhere" is refused after it; and a
password reset works by a signed link, once, for 30 minutes."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from extensions import db
from models import OutgoingMail, User
from models.types import utcnow
from tests.support.web import PASSWORD, Api, csrf_token, form_post

NEW_PASSWORD = "a brand new passphrase"


def _log_in(app, user, *, remember: bool = False):
    client = app.test_client()
    r = form_post(client, "/login", {"email": user.email, "password": PASSWORD,
                                     **({"remember": "y"} if remember else {})})
    assert r.status_code == 302
    return client


def _with_cookies(app, source, *names):
    """A new browser holding copies of `source`'s cookies (what a thief or a shared computer keeps)."""
    other = app.test_client()
    for name in names:
        cookie = source.get_cookie(name, domain=app.config["SERVER_NAME"])
        assert cookie is not None, name
        other.set_cookie(name, cookie.value, domain=app.config["SERVER_NAME"])
    return other


def _signed_in(client) -> bool:
    r = client.get("/account")
    assert r.status_code in (200, 302)
    return r.status_code == 200


def _token(client, user) -> Api:
    r = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 201
    return Api(client, r.json["token"])


def test_a_copied_session_cookie_is_refused_after_logout(app, make_user):
    browser = _log_in(app, make_user("brand"))
    copy = _with_cookies(app, browser, "session")
    assert _signed_in(copy)
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/account")})
    assert not _signed_in(browser)
    assert not _signed_in(copy)


def test_a_copied_remember_cookie_is_refused_after_logout(app, make_user):
    browser = _log_in(app, make_user("brand"), remember=True)
    remembered = _with_cookies(app, browser, "remember_token")
    assert _signed_in(remembered)  # the cookie alone logs in (a closed browser reopened)
    kept = _with_cookies(app, remembered, "remember_token")
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/account")})
    assert not _signed_in(_with_cookies(app, kept, "remember_token"))


def test_each_login_has_its_own_remember_cookie(app, make_user):
    user = make_user("brand")
    one, two = _log_in(app, user, remember=True), _log_in(app, user, remember=True)
    host = app.config["SERVER_NAME"]
    assert one.get_cookie("remember_token", domain=host).value != two.get_cookie("remember_token", domain=host).value


def test_a_password_change_signs_out_other_browsers_and_revokes_api_tokens(app, make_user):
    user = make_user("provider")
    other = _log_in(app, user, remember=True)
    other_remembered = _with_cookies(app, other, "remember_token")
    token = _token(app.test_client(), user)
    assert token.get("/me").status_code == 200
    here = _log_in(app, user)
    r = form_post(here, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                              "confirm": NEW_PASSWORD, "revoke_tokens": "y"}, page="/account")
    assert r.status_code == 302
    assert _signed_in(here)  # the browser that changed it stays in
    assert not _signed_in(other)
    assert not _signed_in(other_remembered)
    assert token.get("/me").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(OutgoingMail.kind).where(OutgoingMail.user_id == user.id)
                                 .order_by(OutgoingMail.id.desc())) == "password_changed"


def test_a_password_change_may_keep_the_api_tokens_but_still_signs_out_other_browsers(app, make_user):
    user = make_user("brand")
    token = _token(app.test_client(), user)
    other = _log_in(app, user)
    here = _log_in(app, user)
    form_post(here, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                          "confirm": NEW_PASSWORD}, page="/account")  # box unticked
    assert token.get("/me").status_code == 200
    assert _signed_in(here) and not _signed_in(other)


def test_sign_out_everywhere_refuses_every_old_cookie(app, make_user):
    user = make_user("brand")
    phone = _log_in(app, user, remember=True)
    phone_copy = _with_cookies(app, phone, "session", "remember_token")
    laptop = _log_in(app, user)
    r = laptop.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(laptop, "/account")})
    assert r.status_code == 302
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(phone_copy)


def test_a_login_lasts_at_most_thirty_days(app, make_user):
    browser = _log_in(app, make_user("brand"), remember=True)
    remembered = _with_cookies(app, browser, "remember_token")
    with time_machine.travel(utcnow() + timedelta(days=29)):
        assert _signed_in(_with_cookies(app, remembered, "remember_token"))
    with time_machine.travel(utcnow() + timedelta(days=31)):
        assert not _signed_in(_with_cookies(app, remembered, "remember_token"))


# --- password reset --------------------------------------------------------------------------------------

def _reset_path(app, user_id) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutgoingMail.text_body).where(
            OutgoingMail.user_id == user_id, OutgoingMail.kind == "password_reset")
            .order_by(OutgoingMail.id.desc())).first()
    link = next(word for word in body.split() if "/reset-password/" in word)
    return "/reset-password/" + link.rsplit("/reset-password/", 1)[1]


def _mails(app, kind) -> int:
    with app.app_context():
        return len(db.session.scalars(select(OutgoingMail.id).where(OutgoingMail.kind == kind)).all())


def test_forgot_password_answers_the_same_whether_or_not_the_address_has_an_account(app, client, make_user):
    make_user("brand", email="known@example.com")
    answers = []
    for email in ("known@example.com", "nobody@example.com"):
        r = form_post(client, "/forgot-password", {"email": email}, headers={"Accept-Language": "en"})
        answers.append((r.status_code, r.headers["Location"]))
        page = client.get(r.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert f"If an account uses {email}, we sent it a link" in page
    assert answers[0] == answers[1]
    assert _mails(app, "password_reset") == 1


def test_a_reset_link_sets_the_password_once_and_signs_out_everywhere(app, client, make_user):
    user = make_user("provider")
    logged_in = _log_in(app, user, remember=True)
    remembered = _with_cookies(app, logged_in, "remember_token")
    token = _token(app.test_client(), user)
    form_post(client, "/forgot-password", {"email": user.email})
    path = _reset_path(app, user.id)
    assert client.get(path).status_code == 200
    r = form_post(client, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "revoke_tokens": "y"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert not _signed_in(logged_in) and not _signed_in(remembered)
    assert token.get("/me").status_code == 401
    assert form_post(app.test_client(), "/login", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert form_post(app.test_client(), "/login", {"email": user.email, "password": PASSWORD}).status_code == 200
    # single use: the same link again is refused, and sets nothing
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"].endswith("/forgot-password")
    r = client.post(path, data={"new_password": "yet another one!", "confirm": "yet another one!",
                                "csrf_token": csrf_token(client, "/forgot-password")})
    assert r.status_code == 302
    assert form_post(app.test_client(), "/login", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert _mails(app, "password_changed") == 1


def test_a_reset_link_expires_after_thirty_minutes(app, client, make_user):
    user = make_user("brand")
    form_post(client, "/forgot-password", {"email": user.email})
    path = _reset_path(app, user.id)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/forgot-password")
    with app.app_context():
        assert db.session.get(User, user.id).password_hash  # unchanged: the old password still logs in
    assert form_post(app.test_client(), "/login", {"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_reset_password_must_follow_the_password_rules(app, client, make_user):
    user = make_user("brand")
    form_post(client, "/forgot-password", {"email": user.email})
    path = _reset_path(app, user.id)
    r = form_post(client, path, {"new_password": "short", "confirm": "short"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422 and "Use 8 to 128 characters." in r.get_data(as_text=True)
