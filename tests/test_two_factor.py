"""Two-factor sign-in (TOTP, RFC 6238, and recovery codes): tokens and web logins need a code for
staff and enrolled users, a code works once, staff without it can only enrol, the operator enrols
staff from the command line."""
import re

import pyotp
from sqlalchemy import select

from extensions import db
from models import RecoveryCode, User
from services import accounts
from tests.support.web import PASSWORD, TOTP_SECRET, csrf_token, form_post, otp_for

EN = {"Accept-Language": "en"}


def _token(client, email, **extra):
    return client.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD, **extra})


def _enrol_on_page(client) -> tuple[str, list[str]]:
    """Enrol the signed-in user the way a person does: start, read the key, send the app's code."""
    assert form_post(client, "/account/two-factor/start", {}, page="/account/two-factor").status_code == 302
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    r = form_post(client, "/account/two-factor/confirm", {"code": pyotp.TOTP(secret).now()},
                  page="/account/two-factor")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", r.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_token_needs_a_current_code_for_staff_and_each_code_works_once(app, client, make_user):
    staff = make_user("admin")
    assert _token(client, staff.email).json["error"]["code"] == "otp_required"
    r = _token(client, staff.email, otp="000000" if pyotp.TOTP(TOTP_SECRET).now() != "000000" else "111111")
    assert r.status_code == 401 and r.json["error"]["code"] == "invalid_otp"
    code = otp_for(app, staff.email)
    first = _token(client, staff.email, otp=code)
    assert first.status_code == 201
    replay = _token(client, staff.email, otp=code)  # the same code, still inside its 30 s
    assert replay.status_code == 401 and replay.json["error"]["code"] == "invalid_otp"
    wrong_password = client.post("/api/v1/auth/tokens", json={"email": staff.email, "password": "nope nope nope",
                                                               "otp": otp_for(app, staff.email)})
    assert wrong_password.status_code == 401 and wrong_password.json["error"]["code"] == "invalid_credentials"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {first.json['token']}"})
    assert me.status_code == 200 and me.json["role"] == "admin"


def test_brands_and_providers_without_two_factor_need_no_code(client, make_user):
    assert _token(client, make_user("brand").email).status_code == 201
    assert _token(client, make_user("provider").email, otp="").status_code == 201


def test_a_recovery_code_signs_in_once(app, client, make_user, login):
    user = make_user("brand")
    login(user)
    _secret, codes = _enrol_on_page(client)
    assert _token(client, user.email).json["error"]["code"] == "otp_required"  # now enrolled
    assert _token(client, user.email, otp=codes[0]).status_code == 201
    assert _token(client, user.email, otp=codes[0]).json["error"]["code"] == "invalid_otp"
    assert _token(client, user.email, otp=codes[1].upper().replace("-", " ")).status_code == 201
    with app.app_context():
        rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        assert len(rows) == 10 and sum(row.used_at is not None for row in rows) == 2
        assert all(codes[0] not in row.code_hash for row in rows)  # only hashes are stored


def test_web_login_asks_for_the_code_after_the_password(app, client, make_user):
    staff = make_user("admin")
    r = form_post(client, "/login", {"email": staff.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code")
    assert client.get("/admin/providers").status_code == 302  # not signed in yet
    bad = form_post(client, "/login/code", {"code": "12345"}, headers=EN)
    assert bad.status_code == 422 and "not right" in bad.get_data(as_text=True)
    ok = form_post(client, "/login/code", {"code": otp_for(app, staff.email)})
    assert ok.status_code == 302
    assert client.get("/admin/providers").status_code == 200
    # the code step without a password step first leads back to the login
    other = app.test_client()
    assert other.get("/login/code").headers["Location"].endswith("/login")


def test_staff_without_two_factor_can_only_enrol(app, client, make_user, login):
    staff = make_user("admin", totp=False)
    refused = _token(client, staff.email)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "totp_required"
    with app.app_context():  # a token issued before (say, before this policy) stops working for staff
        raw, _ = accounts.issue_token(db.session.get(User, staff.id))
        db.session.commit()
    queue = client.get("/api/v1/admin/providers", headers={"Authorization": f"Bearer {raw}"})
    assert queue.status_code == 403 and queue.json["error"]["code"] == "totp_required"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 403 and me.json["error"]["code"] == "totp_required"

    login(staff)  # a password is enough to reach the enrolment page
    for path in ("/admin/providers", "/disputes/queue", "/account", "/"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/two-factor"), path
    r = client.post("/payouts/batches/run", data={"csrf_token": csrf_token(client, "/account/two-factor")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/two-factor")
    secret, _codes = _enrol_on_page(client)
    assert client.get("/admin/providers").status_code == 200
    assert client.get("/account/two-factor/qr.svg").status_code == 404  # never shown again
    assert secret not in client.get("/account/two-factor").get_data(as_text=True)
    with app.app_context():
        code = pyotp.TOTP(secret).now()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    # staff cannot turn it off
    r = form_post(client, "/account/two-factor/disable", {"code": code}, page="/account/two-factor")
    assert r.status_code == 422
    with app.app_context():
        assert db.session.get(User, staff.id).totp_enabled


def test_enrolment_needs_the_right_code_and_can_be_turned_off_by_brands(app, client, make_user, login):
    user = make_user("brand")
    login(user)
    form_post(client, "/account/two-factor/start", {}, page="/account/two-factor")
    r = form_post(client, "/account/two-factor/confirm", {"code": "123456"}, page="/account/two-factor", headers=EN)
    assert r.status_code == 422 and "Not the current code." in r.get_data(as_text=True)
    with app.app_context():
        user_row = db.session.get(User, user.id)
        assert not user_row.totp_enabled
        secret = user_row.totp_secret
    assert form_post(client, "/account/two-factor/confirm", {"code": pyotp.TOTP(secret).now()},
                     page="/account/two-factor").status_code == 200
    # new recovery codes need a code; the old ones then stop working
    with app.app_context():
        old = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    r = form_post(client, "/account/two-factor/recovery-codes", {"code": otp_for(app, user.email)},
                  page="/account/two-factor")
    assert r.status_code == 200 and len(re.findall(r"<li><code>", r.get_data(as_text=True))) == 10
    with app.app_context():
        new = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
        assert len(new) == 10 and not old & new
    r = form_post(client, "/account/two-factor/disable", {"code": otp_for(app, user.email)}, page="/account/two-factor")
    assert r.status_code == 302
    with app.app_context():
        user_row = db.session.get(User, user.id)
        assert not user_row.totp_enabled and user_row.totp_secret is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    r = form_post(client, "/login", {"email": user.email, "password": PASSWORD})
    assert r.status_code == 302 and not r.headers["Location"].endswith("/login/code")


def test_create_admin_with_a_totp_secret(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "ops@witkey.example.com", "--password", PASSWORD,
                                 "--totp-secret", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"])
    assert result.exit_code == 0, result.output
    assert "enrolled" in result.output
    r = _token(client, "ops@witkey.example.com", otp=pyotp.TOTP(TOTP_SECRET).now())
    assert r.status_code == 201, r.json
    bad = runner.invoke(args=["users", "create-admin", "ops2@witkey.example.com", "--password", "long enough pw",
                              "--totp-secret", "not base32 at all!"])
    assert bad.exit_code != 0 and "totp_secret" in bad.output
    with app.app_context():
        assert User.by_email("ops2@witkey.example.com") is None  # nothing half-made


def test_the_code_step_is_rate_limited(app, make_user):
    user = make_user("admin")
    client = app.test_client()
    started = form_post(client, "/login", {"email": user.email, "password": PASSWORD})
    assert started.headers["Location"].endswith("/login/code")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    token = csrf_token(client, "/login/code")
    codes = [client.post("/login/code", data={"code": "000001", "csrf_token": token}).status_code
             for _ in range(limit + 1)]
    assert codes[-1] == 429 and 429 not in codes[:limit - 1]
