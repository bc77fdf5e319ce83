"""API parity for signing in safely (issue 20, item 2): a password reset from the mailed link, the
verification link mailed again, two-factor sign-in turned on and off, and a suspended account's appeal —
the web's rules through /api/v1, with nothing stored for an Idempotency-Key replay of a secret."""
from datetime import UTC, datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import func, select

from extensions import db
from models import IdempotentRequest, OutgoingMail, Suspension, User
from tests.support.web import PASSWORD, form_post

NEW_PASSWORD = "Another-pass-2026!"


def _last_mail(app, user_id: int, kind: str) -> str | None:
    with app.app_context():
        return db.session.scalars(select(OutgoingMail.text_body).where(
            OutgoingMail.user_id == user_id, OutgoingMail.kind == kind).order_by(OutgoingMail.id.desc())).first()


def _reset_token(app, user_id: int) -> str:
    body = _last_mail(app, user_id, "password_reset")
    link = next(word for word in body.split() if "/reset-password/" in word)
    return link.rsplit("/reset-password/", 1)[1]


def test_a_password_is_reset_with_the_mailed_token_once(app, api, make_user):
    user = make_user("brand")
    old_token = api(user)
    anyone = api()
    unknown = anyone.post("/auth/password-reset", json={"email": "nobody@example.com"})
    known = anyone.post("/auth/password-reset", json={"email": user.email})
    assert unknown.status_code == known.status_code == 202 and unknown.json == known.json  # reveals nothing
    assert anyone.post("/auth/password-reset", json={"email": 42}).status_code == 400
    token = _reset_token(app, user.id)

    bad = anyone.post("/auth/password-reset/confirm", json={"token": "forged", "new_password": NEW_PASSWORD})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_token"
    weak = anyone.post("/auth/password-reset/confirm", json={"token": token, "new_password": "short"})
    assert weak.status_code == 422 and "new_password" in weak.json["error"]["fields"]
    assert old_token.get("/me").status_code == 200  # refused: nothing changed
    done = anyone.post("/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD})
    assert done.status_code == 204
    assert old_token.get("/me").status_code == 401  # tokens revoked
    assert anyone.post("/auth/tokens", json={"email": user.email, "password": NEW_PASSWORD}).status_code == 201
    again = anyone.post("/auth/password-reset/confirm", json={"token": token, "new_password": "Third-pass-2026!"})
    assert again.status_code == 422  # the link works once


def test_the_verification_link_is_mailed_again_until_confirmed(app, api, make_user):
    fresh, verified = make_user("provider", verified=False), make_user("provider")
    r = api(fresh).post("/me/email-verification")
    assert r.status_code == 202
    assert "verify" in (_last_mail(app, fresh.id, "verify_email") or "").lower()
    done = api(verified).post("/me/email-verification")
    assert done.status_code == 409 and done.json["error"]["code"] == "already_verified"
    assert api().post("/me/email-verification").status_code == 401


def test_verification_mails_on_request_are_limited_per_person_across_the_page_and_the_api(app, api, make_user,
                                                                                         login, client):
    """5 an hour per person, one allowance whether asked on the account page or the API (a second
    door does not buy a second five); beyond it 429 and no mail."""
    fresh = make_user("provider", verified=False)
    login(fresh)
    assert form_post(client, "/verify-email/resend", {}, page="/account").status_code in (200, 302)
    caller = api(fresh)
    assert [caller.post("/me/email-verification").status_code for _ in range(4)] == [202] * 4
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.user_id == fresh.id, OutgoingMail.kind == "verify_email"))
    refused = caller.post("/me/email-verification")
    assert refused.status_code == 429 and refused.json["error"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.user_id == fresh.id, OutgoingMail.kind == "verify_email")) == sent


def _code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def test_two_factor_is_turned_on_and_off_and_its_secrets_are_never_stored_for_a_replay(app, api, make_user):
    user = make_user("provider")
    caller = api(user)
    assert caller.get("/me/two-factor").json == {"enabled": False, "unused_recovery_codes": 0}
    start = caller.post("/me/two-factor/start", headers={"Idempotency-Key": "2fa-start"})
    assert start.status_code == 200 and start.json["otpauth_uri"].startswith("otpauth://totp/")
    secret = start.json["secret"]
    assert caller.post("/me/two-factor/start").json["secret"] == secret  # the same while it waits
    wrong = caller.post("/me/two-factor/confirm", json={"code": "000000"})
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "invalid_otp"
    assert caller.post("/me/two-factor/confirm", json={"code": 123456}).status_code == 400
    now = datetime.now(UTC)
    confirmed = caller.post("/me/two-factor/confirm", json={"code": _code_at(secret, now)},
                            headers={"Idempotency-Key": "2fa-confirm"})
    assert confirmed.status_code == 200 and len(confirmed.json["recovery_codes"]) == 10
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotentRequest)) == 0  # no secret kept
    assert caller.post("/me/two-factor/start").status_code == 409
    # A token now needs a code.
    assert api().post("/auth/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 401

    later = now + timedelta(seconds=30)
    with time_machine.travel(later, tick=True):
        codes = caller.post("/me/two-factor/recovery-codes", json={"code": _code_at(secret, later)})
    assert codes.status_code == 200 and set(codes.json["recovery_codes"]).isdisjoint(confirmed.json["recovery_codes"])
    assert caller.post("/me/two-factor/disable", json={"code": "000000"}).status_code == 422
    latest = later + timedelta(seconds=30)
    with time_machine.travel(latest, tick=True):
        off = caller.post("/me/two-factor/disable", json={"code": _code_at(secret, latest)})
    assert off.status_code == 200 and off.json == {"enabled": False, "unused_recovery_codes": 0}
    assert api().post("/auth/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 201


def test_staff_cannot_turn_two_factor_off(api, make_user):
    staff = api(make_user("admin"))
    r = staff.post("/me/two-factor/disable", json={"code": "000000"})
    assert r.status_code == 403 and r.json["error"]["code"] == "totp_required"


def test_a_suspended_account_appeals_once_with_its_password(app, api, make_user):
    staff, provider = api(make_user("admin")), make_user("provider")
    anyone = api()
    text = "Those payments were refunds agreed in the chat; see contract 12."
    not_suspended = anyone.post("/auth/suspension-appeal",
                                json={"email": provider.email, "password": PASSWORD, "text": text})
    assert not_suspended.status_code == 404
    suspension_id = staff.post(f"/admin/users/{provider.id}/suspension", json={
        "reason": "Repeated reports of off-platform payment requests, confirmed by staff."}).json["id"]
    wrong = anyone.post("/auth/suspension-appeal", json={"email": provider.email, "password": "nope", "text": text})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_credentials"
    short = anyone.post("/auth/suspension-appeal", json={"email": provider.email, "password": PASSWORD, "text": "x"})
    assert short.status_code == 422 and "text" in short.json["error"]["fields"]
    sent = anyone.post("/auth/suspension-appeal", json={"email": provider.email, "password": PASSWORD, "text": text})
    assert sent.status_code == 201 and sent.json == {"suspension_id": suspension_id, "appealed": True}
    twice = anyone.post("/auth/suspension-appeal", json={"email": provider.email, "password": PASSWORD, "text": text})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_appealed"
    with app.app_context():
        assert db.session.get(Suspension, suspension_id).appeal_text == text
        assert db.session.get(User, provider.id).is_suspended
