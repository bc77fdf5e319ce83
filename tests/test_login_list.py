"""Issue 14 finding 1 (the rest): the account page lists each standing login (browser, address, created,
last use) with its own sign-out button; last use is recorded at most once per interval, never per request."""
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import event, select

from extensions import db
from models import UserLogin
from tests.support.web import PASSWORD, csrf_token, form_post

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


def browser(app, user, agent, addr):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": addr})
    assert form_post(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def login_rows(app, user_id):
    with app.app_context():
        return list(db.session.scalars(select(UserLogin).where(UserLogin.user_id == user_id).order_by(UserLogin.id)))


def test_the_account_page_lists_logins_and_one_can_be_signed_out_from_another(app, make_user):
    user = make_user("brand")
    phone = browser(app, user, PHONE, "203.0.113.7")
    desktop = browser(app, user, DESKTOP, "198.51.100.4")
    page = desktop.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = page[page.index('data-testid="logins"'):]
    assert "Safari on iPhone" in table and "203.0.113.7" in table
    assert "Chrome on Windows" in table and "198.51.100.4" in table and "(this browser)" in table
    phone_login = next(row for row in login_rows(app, user.id) if row.ip_address == "203.0.113.7")
    r = desktop.post(f"/account/logins/{phone_login.id}/end", data={"csrf_token": csrf_token(desktop, "/account")})
    assert r.status_code == 302
    assert phone.get("/account").status_code == 302  # the phone is signed out
    assert desktop.get("/account").status_code == 200  # the desktop is not
    assert [row.ip_address for row in login_rows(app, user.id)] == ["198.51.100.4"]


def test_someone_elses_login_cannot_be_ended(app, make_user):
    owner, other = make_user("brand"), make_user("provider")
    owner_client = browser(app, owner, DESKTOP, "198.51.100.4")
    other_client = browser(app, other, DESKTOP, "198.51.100.5")
    owner_login = login_rows(app, owner.id)[0]
    r = other_client.post(f"/account/logins/{owner_login.id}/end",
                          data={"csrf_token": csrf_token(other_client, "/account")})
    assert r.status_code == 404
    assert owner_client.get("/account").status_code == 200


def test_ending_this_browsers_own_login_logs_it_out(app, make_user):
    user = make_user("brand")
    client = browser(app, user, DESKTOP, "198.51.100.4")
    own = login_rows(app, user.id)[0]
    r = client.post(f"/account/logins/{own.id}/end", data={"csrf_token": csrf_token(client, "/account")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert client.get("/account").status_code == 302
    assert login_rows(app, user.id) == []


def test_last_use_is_written_at_most_once_per_interval(app, make_user):
    user = make_user("brand")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        client = browser(app, user, DESKTOP, "198.51.100.4")
        client.get("/account")
    first = login_rows(app, user.id)[0].last_used_at
    assert first is not None

    updates = []

    def count_updates(_conn, _cursor, statement, *_args):
        if re.match(r"\s*UPDATE user_logins", statement, re.IGNORECASE):
            updates.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count_updates)
    try:
        with time_machine.travel(start + timedelta(minutes=4), tick=False):
            for _ in range(5):
                assert client.get("/account").status_code == 200
        assert updates == []  # five requests within the interval: no write
        assert login_rows(app, user.id)[0].last_used_at == first
        with time_machine.travel(start + timedelta(minutes=6), tick=False):
            client.get("/account")
            client.get("/account")
        assert len(updates) == 1  # past the interval: one write, then none again
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count_updates)
    assert login_rows(app, user.id)[0].last_used_at > first
