"""Registration, password checks and API tokens."""
import hashlib
import secrets
from datetime import timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models import ApiToken, BrandProfile, ProviderProfile, User
from models.types import utcnow
from models.user import ROLES, SELF_REGISTER_ROLES
from services.errors import Conflict, NotFound, check

# argon2id with the library's current recommended parameters: what every real deployment uses.
STRONG_HASHER = PasswordHasher()
# Under TESTING only: the same algorithm at the lowest cost, so a test suite that registers thousands of
# users does not spend most of its time hashing. A hash records its own parameters, so either hasher
# verifies the other's hashes; outside TESTING a cheap hash is upgraded at the next login.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASHES = {hasher: hasher.hash("witkey-timing-equaliser") for hasher in (STRONG_HASHER, TEST_HASHER)}


def _hasher() -> PasswordHasher:
    """The hasher for the current app, chosen when called (the config is read per app, not at import)."""
    return TEST_HASHER if current_app.config.get("TESTING") else STRONG_HASHER


PASSWORD_MIN = 8
PASSWORD_MAX = 128
TOKEN_PREFIX = "wk_"  # noqa: S105 (a label, not a secret)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_error(email: str):
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _l("Enter a valid e-mail address.")
    return None


def _password_error(password: str):
    if not PASSWORD_MIN <= len(password or "") <= PASSWORD_MAX:
        return _l("Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    return None


def register(*, email: str, password: str, role: str, display_name: str) -> User:
    """Create a brand or provider account with an empty profile of its kind."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    check({
        "email": _email_error(email),
        "password": _password_error(password),
        "role": role not in SELF_REGISTER_ROLES and _l("Choose brand or provider."),
        "display_name": not 1 <= len(display_name) <= 100 and _l("Enter a name of 1 to 100 characters."),
    })
    return _create_user(email=email, password=password, role=role, display_name=display_name)


def create_admin(*, email: str, password: str, display_name: str = "Platform staff") -> User:
    email = normalise_email(email)
    check({"email": _email_error(email), "password": _password_error(password)})
    return _create_user(email=email, password=password, role="admin", display_name=display_name)


def _create_user(*, email, password, role, display_name) -> User:
    assert role in ROLES
    if User.by_email(email):
        raise Conflict(_l("An account with this e-mail already exists."), code="email_taken",
                       fields={"email": _l("Already registered.")})
    user = User(email=email, password_hash=_hasher().hash(password), role=role, display_name=display_name)
    db.session.add(user)
    if role == "brand":
        user.brand_profile = BrandProfile(store_name=display_name)
    elif role == "provider":
        user.provider_profile = ProviderProfile(company_name=display_name)
    db.session.flush()  # the unique e-mail index is the last guard against a racing twin
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way)."""
    user = User.by_email(normalise_email(email))
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASHES[hasher], password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher().verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        check({"current_password": _l("This is not your current password.")})
    check({"new_password": _password_error(new)})
    user.password_hash = _hasher().hash(new)


def _digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[str, ApiToken]:
    """A new API token; the raw value is returned once and never stored."""
    name = (name or "").strip()[:100] or str(_l("API token"))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    return raw, token


def user_for_token(raw: str) -> User | None:
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(raw or ""), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.active:
        return None
    now = utcnow()
    # Record use at most once a minute: a busy integration should not write on every call. The write
    # is its own statement on its own connection, committed at once: a read (GET) never commits the
    # request's session, and a request that fails later still counts as a use.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        with db.engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        set_committed_value(token, "last_used_at", now)
    return token.user


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ))


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def update_settings(user: User, *, display_name: str, locale: str | None, timezone: str) -> User:
    display_name = (display_name or "").strip()
    check({
        "display_name": not 1 <= len(display_name) <= 100 and _l("Enter a name of 1 to 100 characters."),
        "locale": locale not in (None, "", "zh_CN", "en") and _l("Choose a listed language."),
        "timezone": timezone not in available_timezones() and _l("Choose a listed time zone."),
    })
    user.display_name, user.locale, user.timezone = display_name, locale or None, timezone
    return user
