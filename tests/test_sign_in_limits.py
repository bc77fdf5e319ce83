"""Issue 14 (findings 4 and 10): one count of sign-in attempts and registrations whichever door is used
(web form or API), a limit of failed sign-ins per account, strong passwords, a web registration that does
not tell whether an address has an account, and a bound on concurrent password hashing."""
import threading
import time

import pytest
from sqlalchemy import func, select

from extensions import db
from models import OutgoingMail, User
from services import accounts
from services.errors import Busy
from tests.support.backends import make_app
from tests.support.web import PASSWORD, form_post


def web_login(client, email, password, addr="10.0.0.1"):
    return form_post(client, "/login", {"email": email, "password": password},
                     environ_base={"REMOTE_ADDR": addr}).status_code


def api_token(client, email, password, addr="10.0.0.1"):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr}).status_code


def test_web_and_api_sign_in_attempts_share_one_limit_per_address(make_user):
    user = make_user("brand")
    client = make_app(LOGIN_RATE_LIMIT="4 per minute").test_client()
    codes = [web_login(client, user.email, "wrong password"), api_token(client, user.email, "wrong password"),
             web_login(client, "other@example.com", "wrong password"), api_token(client, user.email, PASSWORD)]
    assert codes == [200, 401, 200, 201]
    # the fifth attempt from this address, by either door, is refused, even with the right password
    assert api_token(client, user.email, PASSWORD) == 429
    assert web_login(client, user.email, PASSWORD) == 429
    assert api_token(client, user.email, PASSWORD, addr="10.0.0.2") == 201  # another address is not affected


def test_failed_sign_ins_are_limited_per_account_across_addresses(make_user):
    victim, bystander = make_user("brand"), make_user("provider")
    client = make_app(LOGIN_ACCOUNT_FAILURE_LIMIT="3 per minute").test_client()
    # successes do not count against the account; failures from any address and either door do
    assert api_token(client, victim.email, PASSWORD, addr="10.0.1.1") == 201
    codes = [web_login(client, victim.email.upper(), "wrong guess 1", addr="10.0.1.2"),
             api_token(client, victim.email, "wrong guess 2", addr="10.0.1.3"),
             web_login(client, f" {victim.email} ", "wrong guess 3", addr="10.0.1.4")]
    assert codes == [200, 401, 200]
    assert api_token(client, victim.email, "wrong guess 4", addr="10.0.1.5") == 429
    assert web_login(client, victim.email, PASSWORD, addr="10.0.1.6") == 429
    # another account, from the same addresses, signs in as usual
    assert api_token(client, bystander.email, PASSWORD, addr="10.0.1.5") == 201


def register_web(client, email, addr="10.0.2.1", password=PASSWORD):
    return form_post(client, "/register", {"role": "brand", "display_name": "Moshan Tea", "email": email,
                                           "password": password, "confirm": password},
                     environ_base={"REMOTE_ADDR": addr})


def register_api(client, email, addr="10.0.2.1", password=PASSWORD):
    body = {"email": email, "password": password, "role": "provider", "display_name": "Guangying Studio"}
    return client.post("/api/v1/auth/register", json=body, environ_base={"REMOTE_ADDR": addr})


def test_web_and_api_registrations_share_one_limit_per_address(app):
    client = make_app(REGISTER_RATE_LIMIT="3 per minute").test_client()
    assert register_web(client, "a@example.com").status_code == 302
    assert register_api(client, "b@example.com").status_code == 201
    assert register_api(client, "b@example.com").status_code == 409  # a taken address counts as well
    assert register_web(client, "c@example.com").status_code == 429
    assert register_api(client, "d@example.com").status_code == 429
    assert register_api(client, "d@example.com", addr="10.0.2.9").status_code == 201


def test_registrations_of_one_email_are_limited_across_addresses(app):
    client = make_app(REGISTER_EMAIL_RATE_LIMIT="2 per hour").test_client()
    assert register_api(client, "tea@example.com", addr="10.0.3.1").status_code == 201
    assert register_web(client, "Tea@Example.com", addr="10.0.3.2").status_code == 302
    assert register_api(client, "tea@example.com", addr="10.0.3.3").status_code == 429
    assert register_web(client, "tea@example.com", addr="10.0.3.4").status_code == 429
    assert register_api(client, "other@example.com", addr="10.0.3.4").status_code == 201


def test_web_registration_answers_the_same_for_a_taken_address_and_mails_its_owner(app, client, make_user):
    owner = make_user("provider", email="tea@example.com")
    fresh = register_web(client, "new@example.com")
    taken = register_web(app.test_client(), "tea@example.com")
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert fresh.headers["Location"].endswith("/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2  # no second tea@ account
        owner_row = db.session.get(User, owner.id)
        assert owner_row.display_name == owner.display_name
        mails = {(m.to_address, m.kind) for m in db.session.scalars(select(OutgoingMail))}
    assert mails == {("new@example.com", "verify_email"), ("tea@example.com", "register_attempt")}
    # the owner's password still works (nothing changed in the account)
    assert web_login(app.test_client(), "tea@example.com", PASSWORD) == 302
    # the API keeps its documented 409
    r = register_api(app.test_client(), "tea@example.com")
    assert (r.status_code, r.json["error"]["code"]) == (409, "email_taken")


@pytest.mark.parametrize("weak", ["12345678", "password1", "qwertyuiop", "tea@example.com1"])
def test_weak_passwords_are_refused_with_a_reason(client, weak):
    r = client.post("/api/v1/auth/register", json={"email": "tea@example.com", "password": weak, "role": "brand",
                                                   "display_name": "Moshan Tea"}, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert "too easy to guess" in r.json["error"]["fields"]["password"]


def test_long_passwords_up_to_the_maximum_are_judged_not_crashed(client):
    strong = "correct horse battery staple " * 5  # 145 characters: cut to 128
    r = client.post("/api/v1/auth/register", json={"email": "tea@example.com", "password": strong[:128],
                                                   "role": "brand", "display_name": "Moshan Tea"})
    assert r.status_code == 201
    r = client.post("/api/v1/auth/register", json={"email": "tea2@example.com", "password": "ab1!" * 32,
                                                   "role": "brand", "display_name": "Moshan Tea"})
    assert r.status_code == 422 and "password" in r.json["error"]["fields"]


def test_password_change_and_reset_refuse_weak_passwords(app, client, login, make_user):
    user = make_user("brand")
    login(user)
    r = form_post(client, "/account/password", {"current_password": PASSWORD, "new_password": "12345678",
                                                 "confirm": "12345678"}, page="/account",
                  headers={"Accept-Language": "en"})
    assert r.status_code in (200, 422) and "too easy to guess" in r.get_data(as_text=True)
    with app.app_context():
        db_user = db.session.get(User, user.id)
        with pytest.raises(accounts.Invalid) as raised:
            accounts.reset_password(accounts._serializer("witkey-reset-password").dumps(  # noqa: SLF001
                {"u": db_user.id, "p": accounts._password_fingerprint(db_user)}), "abcdefgh")  # noqa: SLF001
        assert "new_password" in raised.value.fields


def test_password_hashing_is_bounded_and_refuses_after_a_short_wait():
    app = make_app(ARGON2_CONCURRENCY=1, ARGON2_WAIT_SECONDS=0.2)
    slot_taken, release = threading.Event(), threading.Event()

    def hold_the_slot():
        with app.app_context(), accounts._HashingSlot():  # noqa: SLF001
            slot_taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_slot)
    holder.start()
    try:
        assert slot_taken.wait(5)
        with app.app_context():
            started = time.monotonic()
            with pytest.raises(Busy):
                accounts.hash_password("long enough pw")
            assert 0.15 < time.monotonic() - started < 2
    finally:
        release.set()
        holder.join()
    with app.app_context():
        assert accounts.hash_password("long enough pw").startswith("$argon2id$")


def test_a_busy_hasher_answers_429_not_500(make_user):
    app = make_app(ARGON2_CONCURRENCY=1, ARGON2_WAIT_SECONDS=0.05)
    user = make_user("brand")
    with app.app_context():
        slot = accounts._hash_slot()  # noqa: SLF001
    assert slot.acquire(timeout=5)
    try:
        r = app.test_client().post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    finally:
        slot.release()
    assert (r.status_code, r.json["error"]["code"]) == (429, "busy")
