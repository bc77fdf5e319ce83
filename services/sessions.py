"""Logins that can be revoked. Each signed-in browser has a `user_logins` row holding the SHA-256 of a
random token; Flask-Login's id for the user is `<user id>:<token>` (models.User.get_id), so the session
cookie and the "keep me logged in" cookie both carry it, and either is honoured only while its row
exists and is younger than the remember cookie's lifetime.

- logging out deletes this login's row: a copy of its session or remember cookie is refused after;
- a password change deletes every other login (a reset every login), as does "sign out everywhere";
- a deactivated or suspended account is refused whatever its rows (models.User.is_active), and a
  suspension ends every login at once (services.suspensions calls `end_all`);
- the owner sees each login (browser, address, created, last use) on the account page and can end any
  one of them (`end_one`). Last use is recorded cheaply: `touch` writes only when the stored time is
  older than LOGIN_TOUCH_INTERVAL (5 minutes), so a busy browser costs one UPDATE per interval, never
  one per request, and the check itself reads the row `resolve` loads anyway.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from extensions import db
from models import User, UserLogin
from models.types import utcnow
from services import use_marks
from services.errors import Forbidden, NotFound


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lifetime():
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def start(user: User) -> str:
    """A new login for `user`; its token is kept on the object for Flask-Login's `get_id()`."""
    if user.is_suspended:  # the sign-in pages show the reason instead; this is the last guard
        raise Forbidden(code="account_suspended")
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    # The user's expired logins go now: nobody else deletes them, and this is when there is one more.
    db.session.execute(delete(UserLogin).where(UserLogin.user_id == user.id,
                                               UserLogin.created_at < now - _lifetime()))
    login = UserLogin(user_id=user.id, token_hash=_digest(raw), created_at=now)
    db.session.add(login)
    db.session.flush()
    user.login_token = raw
    user.login_id, user.login_last_used_at = login.id, None
    return raw


def resolve(alternative_id: str) -> User | None:
    """The active user a session or remember cookie names, if that login still stands; else None."""
    user_id, _sep, raw = (alternative_id or "").partition(":")
    if not user_id.isdigit() or not raw:
        return None  # a cookie from before logins were revocable names no login: log in again
    # The login and its user in one statement: every signed-in page asks.
    row = db.session.execute(select(UserLogin, User).join(User, User.id == UserLogin.user_id)
                             .where(UserLogin.token_hash == _digest(raw))).first()
    if row is None:
        return None
    login, user = row
    if login.user_id != int(user_id) or login.created_at < utcnow() - _lifetime() or not user.is_active:
        return None
    user.login_token = raw
    user.login_id, user.login_last_used_at = login.id, login.last_used_at
    return user


def touch(user: User, *, user_agent: str | None, ip_address: str | None) -> bool:
    """Record that the request's login is in use (with its browser and address), unless it was recorded
    less than LOGIN_TOUCH_INTERVAL ago, after the request and outside its transaction (services.use_marks).
    True if it wrote."""
    login_id = getattr(user, "login_id", None)
    last = getattr(user, "login_last_used_at", None)
    now = utcnow()
    interval = current_app.config.get("LOGIN_TOUCH_INTERVAL", timedelta(minutes=5))
    if login_id is None or (last is not None and now - last < interval):
        return False
    use_marks.mark(update(UserLogin).where(UserLogin.id == login_id).values(
        last_used_at=now, user_agent=(user_agent or "")[:255] or None, ip_address=(ip_address or "")[:45] or None))
    user.login_last_used_at = now
    return True


def logins_of(user: User) -> list[UserLogin]:
    """The account's standing logins, most recently used first."""
    oldest = utcnow() - _lifetime()
    rows = db.session.scalars(select(UserLogin).where(UserLogin.user_id == user.id, UserLogin.created_at >= oldest))
    return sorted(rows, key=lambda login: login.last_used_at or login.created_at, reverse=True)


def end_one(user: User, login_id: int) -> bool:
    """End one of `user`'s logins (404 for anyone else's). True if it was the request's own login."""
    login = db.session.get(UserLogin, login_id)
    if login is None or login.user_id != user.id:
        raise NotFound()
    db.session.delete(login)
    return login_id == getattr(user, "login_id", None)


def end(user: User) -> None:
    """Log out this login (the one the request came with)."""
    if user.login_token:
        db.session.execute(delete(UserLogin).where(UserLogin.token_hash == _digest(user.login_token)))


def end_all(user: User, *, except_current: bool = False) -> int:
    """Sign `user` out everywhere (every browser, every remember cookie); with `except_current`, all
    but the login this request came with. Returns how many logins ended."""
    stmt = delete(UserLogin).where(UserLogin.user_id == user.id)
    if except_current and user.login_token:
        stmt = stmt.where(UserLogin.token_hash != _digest(user.login_token))
    return db.session.execute(stmt).rowcount


def count(user: User) -> int:
    return len(db.session.scalars(select(UserLogin.id).where(UserLogin.user_id == user.id)).all())
