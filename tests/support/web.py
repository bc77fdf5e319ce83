"""Talking to the app the way its callers do: the JSON API with a token, and HTML forms with CSRF tokens."""
import io
import re

import pyotp
from sqlalchemy import update

from extensions import db
from models import User
from tests.support.images import photo

PASSWORD = "correct horse battery"  # every user the factories make has it
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # staff made by the factories are enrolled on it


def otp_for(app, email: str) -> str | None:
    """A code the app will accept now for this user (None when not enrolled). Each code is accepted once per 30 s step,
    and a test signs the same user in many times within one step: the helper forgets the last accepted
    step first (what a real user does by waiting for the next code). Replays are tested on their own."""
    with app.app_context():
        user = User.by_email(email)
        if user is None or not user.totp_enabled:
            return None
        db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
        db.session.commit()
        return pyotp.TOTP(user.totp_secret).now()


def finish_login(client, response, email: str):
    """After the password step: the code step when the account has two-factor sign-in, else as is."""
    if response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/login/code"):
        return client.post("/login/code", data={"code": otp_for(client.application, email),
                                                "csrf_token": csrf_token(client, "/login/code")})
    return response


class Api:
    """A JSON client for one caller: api.post("/tenders", json={...}) → response."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def raw(self, method, path, data, content_type="application/json"):
        return self.client.open("/api/v1" + path, method=method, data=data, content_type=content_type,
                                headers=self._headers(None))


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def form_post(client, path: str, data: dict, *, page: str | None = None, **kw):
    """POST a form the way a browser does: with the CSRF token of the page that shows it."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)}, **kw)


def switch(client, user):
    """Log the client out and in again as `user` (anything with an `email`)."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    r = finish_login(client, form_post(client, "/login", {"email": user.email, "password": PASSWORD}), user.email)
    assert r.status_code == 302


def as_user(email):
    """Something `login` and `switch` accept, for a user known only by e-mail."""
    return type("U", (), {"email": email})()


def signed_in(app, user_id: int):
    """A separate web client logged in as that user (the API fixtures keep their own)."""
    with app.app_context():
        email = db.session.get(User, user_id).email
    client = app.test_client()
    assert finish_login(client, form_post(client, "/login", {"email": email, "password": PASSWORD}),
                        email).status_code == 302
    return client


def apply_for_verification(caller: Api, number: str, representative: str = "王海") -> None:
    """A provider or brand uploads a licence image and applies with `number` (API)."""
    r = caller.client.put("/api/v1/me/licence", data={"file": (io.BytesIO(photo()), "licence.jpg")},
                          content_type="multipart/form-data", headers=caller._headers(None))
    assert r.status_code == 200, r.json
    r = caller.post("/me/verification", json={"registration_number": number, "legal_representative": representative})
    assert r.status_code == 200, r.json
