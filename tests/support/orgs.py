"""Organisations for tests: an owner's team built the way people build it (invite by e-mail through the
API, register with the invited address, accept with the token from the mail)."""
import itertools
import re

from sqlalchemy import select

from extensions import db
from models import OutgoingMail
from services import accounts
from tests.support.web import PASSWORD, Api

INVITATION_LINK = re.compile(r"/invitations/([A-Za-z0-9_.\-]+)")
_seq = itertools.count(1)


def invitation_token(app, email: str) -> str:
    """The token in the link of the newest invitation mailed to `email`."""
    with app.app_context():
        mail = db.session.scalars(select(OutgoingMail).where(OutgoingMail.to_address == email,
                                                             OutgoingMail.kind == "org_invitation")
                                  .order_by(OutgoingMail.id.desc())).first()
        assert mail is not None, f"no invitation mailed to {email}"
        return INVITATION_LINK.search(mail.text_body).group(1)


def new_account(app, kind: str, email: str | None = None, name: str | None = None):
    """A registered, verified brand or provider (alone in its own organisation) → (user id, email)."""
    n = next(_seq)
    email = email or f"{kind}-org{n}@example.com"
    with app.app_context():
        user = accounts.register(email=email, password=PASSWORD, role=kind, email_verified=True,
                                 display_name=name or f"{kind.title()} Org {n}")
        db.session.commit()
        return user.id, email


def token_for(client, email: str) -> Api:
    r = client.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.json
    return Api(client, r.json["token"])


def join(app, client, owner: Api, kind: str, role: str):
    """Invite a new person with `role` into `owner`'s organisation; it registers and accepts → (id, Api)."""
    email = f"{role}-{next(_seq)}@example.com"
    r = owner.post("/org/members", json={"email": email, "role": role})
    assert r.status_code == 201, r.json
    user_id, _ = new_account(app, kind, email=email)
    member = token_for(client, email)
    r = member.post("/org/invitations/accept", json={"token": invitation_token(app, email)})
    assert r.status_code == 200, r.json
    return user_id, member


def team(app, client, kind: str, roles) -> dict:
    """An organisation: {"owner": (id, Api), role: (id, Api)…} with one member per role in `roles`."""
    owner_id, email = new_account(app, kind)
    members = {"owner": (owner_id, token_for(client, email))}
    for role in roles:
        if role != "owner":
            members[role] = join(app, client, members["owner"][1], kind, role)
    return members
