"""Registration, e-mail verification, passwords (change and reset) and API tokens.

Verification: registering mails a signed link (itsdangerous, 48 hours, bound to the address, so a
changed address voids it); bidding, awarding, funding and being paid wait for it
(`require_verified_email`, API 403 `email_unverified`). Reset: a signed link valid 30 minutes, bound
to the current password hash, so it works once; using it signs out every login (services.sessions)
and, unless the user unticks it, revokes the API tokens. A change of password does the same for
every other login.

Passwords: 8 to 128 characters and a zxcvbn strength score of at least PASSWORD_MIN_SCORE (3 of 4:
"safely unguessable", about 10^8 guesses) judged with the account's e-mail and name as known words;
one rule (`_password_error`) for registration, change and reset. Argon2 hashing and verifying take a
slot of a process-wide semaphore (ARGON2_CONCURRENCY, 64 MiB each with the strong parameters): a request
that cannot get one within ARGON2_WAIT_SECONDS is refused with 429 `busy` instead of queueing without bound,
so a flood of registrations or logins cannot starve the workers serving everything else."""
import hashlib
import secrets
import threading
from datetime import timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from zxcvbn import zxcvbn

from extensions import db
from models import ApiToken, BrandProfile, Membership, Organisation, ProviderProfile, User
from models.organisation import KINDS as ORG_KINDS
from models.types import utcnow
from models.user import ROLES, SELF_REGISTER_ROLES
from services import audit, mail, sessions, use_marks
from services.errors import Busy, Conflict, Forbidden, Invalid, NotFound, check

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


# One semaphore per configured size, shared by every app and thread of the process.
_HASH_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_HASH_SLOTS_LOCK = threading.Lock()


def _hash_slot() -> threading.BoundedSemaphore:
    size = max(1, int(current_app.config.get("ARGON2_CONCURRENCY", 2)))
    with _HASH_SLOTS_LOCK:
        return _HASH_SLOTS.setdefault(size, threading.BoundedSemaphore(size))


class _HashingSlot:
    """`with _HashingSlot():` around every argon2 call; refuses with 429 `busy` after a short wait."""

    def __enter__(self):
        self.slot = _hash_slot()
        if not self.slot.acquire(timeout=float(current_app.config.get("ARGON2_WAIT_SECONDS", 2.0))):
            raise Busy(_l("Too many sign-ins and registrations at this moment. Try again in a few seconds."))
        return self

    def __exit__(self, *exc):
        self.slot.release()


def hash_password(password: str) -> str:
    with _HashingSlot():
        return _hasher().hash(password)


def _verify(password_hash: str, password: str) -> bool:
    with _HashingSlot():
        try:
            return _hasher().verify(password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return False


PASSWORD_MIN = 8
PASSWORD_MAX = 128
PASSWORD_MIN_SCORE = 3  # zxcvbn's 0..4 scale
ZXCVBN_MAX = 72  # zxcvbn's own maximum length
TOKEN_PREFIX = "wk_"  # noqa: S105 (a label, not a secret)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_error(email: str):
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return _l("Enter a valid e-mail address.")
    return None


# zxcvbn's own warnings, in our catalogs (anything else gets the general message only).
_ZXCVBN_WARNINGS = {
    "This is a top-10 common password.": _l("This is one of the most common passwords."),
    "This is a top-100 common password.": _l("This is one of the most common passwords."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l("Names by themselves are easy to guess."),
    "Common names and surnames are easy to guess.": _l("Names by themselves are easy to guess."),
    "Repeats like \"aaa\" are easy to guess.": _l("Repeated characters are easy to guess."),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l("Repeated characters are easy to guess."),
    "Sequences like abc or 6543 are easy to guess.": _l("Sequences like abc or 6543 are easy to guess."),
    "Straight rows of keys are easy to guess.": _l("Rows of keys on the keyboard are easy to guess."),
    "Short keyboard patterns are easy to guess.": _l("Rows of keys on the keyboard are easy to guess."),
    "Recent years are easy to guess.": _l("Years and dates are easy to guess."),
    "Dates are often easy to guess.": _l("Years and dates are easy to guess."),
}


def _password_error(password: str, *known: str):
    """Why `password` is refused, or None. `known`: the account's e-mail and name, which a guesser knows."""
    if not PASSWORD_MIN <= len(password or "") <= PASSWORD_MAX:
        return _l("Use %(min)s to %(max)s characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
    words = [w for text in known for w in [text or "", *(text or "").replace("@", " ").replace(".", " ").split()] if w]
    # zxcvbn refuses (ValueError) past 72 characters, its cost growing with length: the first 72 are judged
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=words)
    if result["score"] >= PASSWORD_MIN_SCORE:
        return None
    why = _ZXCVBN_WARNINGS.get((result.get("feedback") or {}).get("warning") or "")
    advice = _l("This password is too easy to guess: use a few unrelated words, or more characters of different "
                "kinds.")
    return _l("%(why)s %(advice)s", why=why, advice=advice) if why else advice


def register(*, email: str, password: str, role: str, display_name: str, locale: str | None = None,
             email_verified: bool = False) -> User:
    """Create a brand or provider account with an empty profile of its kind, and mail it the link
    that verifies its address (in `locale`, the language the registration was made in).
    `email_verified`: for accounts the operator vouches for (the demo seed), verified and not mailed."""
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    check({
        "email": _email_error(email),
        "password": _password_error(password, email, display_name),
        "role": role not in SELF_REGISTER_ROLES and _l("Choose brand or provider."),
        "display_name": not 1 <= len(display_name) <= 100 and _l("Enter a name of 1 to 100 characters."),
    })
    user = _create_user(email=email, password=password, role=role, display_name=display_name)
    if email_verified:
        user.email_verified_at = utcnow()
    else:
        send_verification(user, locale=locale)
    return user


def register_quietly(*, email: str, password: str, role: str, display_name: str,
                     locale: str | None = None) -> User | None:
    """Registration that does not tell whether the address has an account (the web form): a new
    address gets its account and verification link as in `register`; a taken one gets no account, and
    its owner an e-mail about the attempt instead. The input is checked the same way in both cases, and
    a password is hashed in both (discarded here), so neither the answer nor its time tells them apart.
    Returns the new user, or None for a taken address."""
    owner = User.by_email(normalise_email(email))
    if owner is None:
        return register(email=email, password=password, role=role, display_name=display_name, locale=locale)
    display_name = (display_name or "").strip()
    check({
        "password": _password_error(password, email, display_name),
        "role": role not in SELF_REGISTER_ROLES and _l("Choose brand or provider."),
        "display_name": not 1 <= len(display_name) <= 100 and _l("Enter a name of 1 to 100 characters."),
    })
    hash_password(password)  # the cost a new account would have had
    if owner.active:
        mail.compose(owner, "register_attempt", _l("Someone tried to register with your e-mail address"))
    return None


def create_admin(*, email: str, password: str, display_name: str = "Platform staff") -> User:
    email = normalise_email(email)
    check({"email": _email_error(email), "password": _password_error(password, email, display_name)})
    user = _create_user(email=email, password=password, role="admin", display_name=display_name)
    user.email_verified_at = utcnow()  # made by the operator from the command line
    # No staff member acts here: the actor is the command line (None), whoever runs the server.
    audit.record(None, "user.create_admin", "user", user.id, before=None,
                 after={"email": user.email, "display_name": user.display_name, "role": user.role},
                 affected_user_id=user.id)
    return user


def _create_user(*, email, password, role, display_name) -> User:
    assert role in ROLES
    if User.by_email(email):
        raise Conflict(_l("An account with this e-mail already exists."), code="email_taken",
                       fields={"email": _l("Already registered.")})
    user = User(email=email, password_hash=hash_password(password), role=role, display_name=display_name)
    db.session.add(user)
    if role == "brand":
        user.brand_profile = BrandProfile(store_name=display_name)
    elif role == "provider":
        user.provider_profile = ProviderProfile(company_name=display_name)
    db.session.flush()  # the unique e-mail index is the last guard against a racing twin
    if role in ORG_KINDS:  # a new brand or provider is the owner and principal of its own organisation
        organisation = Organisation(name=display_name, kind=role, account_user_id=user.id)
        organisation.memberships.append(Membership(user=user, role="owner"))
        db.session.add(organisation)
        db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way)."""
    user = User.by_email(normalise_email(email))
    hasher = _hasher()
    if not _verify(user.password_hash if user else _DUMMY_HASHES[hasher], password):
        return None
    if user is None or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user: User, current: str, new: str, *, revoke_tokens: bool = True) -> None:
    """Set a new password; every other login of the user ends (this one stays), and with
    `revoke_tokens` every API token is revoked. The owner is told by e-mail."""
    if not _verify(user.password_hash, current):
        check({"current_password": _l("This is not your current password.")})
    check({"new_password": _password_error(new, user.email, user.display_name)})
    _set_password(user, new, revoke_tokens=revoke_tokens, keep_current_login=True)


def _set_password(user: User, new: str, *, revoke_tokens: bool, keep_current_login: bool) -> None:
    user.password_hash = hash_password(new)
    sessions.end_all(user, except_current=keep_current_login)
    if revoke_tokens:
        revoke_all_tokens(user)
    mail.compose(user, "password_changed", _l("Your Witkey password was changed"), tokens_revoked=revoke_tokens)


# --- e-mail verification -----------------------------------------------------------------------------

VERIFY_MAX_AGE = timedelta(hours=48)
RESET_MAX_AGE = timedelta(minutes=30)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def verification_token(user: User) -> str:
    return _serializer("witkey-verify-email").dumps({"u": user.id, "e": user.email})


def send_verification(user: User, *, locale: str | None = None) -> None:
    """Mail the owner a link that verifies the address (again, on request: a resend)."""
    if user.email_verified:
        raise Conflict(_l("Your e-mail address is already confirmed."), code="already_verified")
    mail.compose(user, "verify_email", _l("Confirm your e-mail address for Witkey"),
                 locale=locale or mail.current_locale(), token=verification_token(user),
                 hours=int(VERIFY_MAX_AGE.total_seconds() // 3600))


def verify_email(token: str) -> User:
    """Mark the address the link was sent to as verified. A bad, expired or outdated link (the
    account's address changed since) is refused with 422 `invalid_token`."""
    try:
        data = _serializer("witkey-verify-email").loads(token or "", max_age=VERIFY_MAX_AGE.total_seconds())
    except (BadSignature, SignatureExpired):
        data = None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or user.email != data.get("e"):
        raise Invalid(_l("This link is not valid or has expired. Ask for a new one."), code="invalid_token",
                      fields={"token": _l("Not valid or expired.")})
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def require_verified_email(user: User | None) -> None:
    """Bidding, awarding, funding and being paid wait for a verified address (403 `email_unverified`)."""
    if user is not None and not user.email_verified:
        raise Forbidden(_l("Confirm your e-mail address first: follow the link we sent you, or ask for a new one "
                           "on your account page."), code="email_unverified")


# --- password reset ------------------------------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    # The token names the password it may replace: once used (or the password changed), it is void.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def request_password_reset(email: str, *, locale: str | None = None) -> None:
    """Mail a reset link if an active account has this address; the caller answers the same either way."""
    user = User.by_email(normalise_email(email))
    if user is None or not user.active:
        return
    token = _serializer("witkey-reset-password").dumps({"u": user.id, "p": _password_fingerprint(user)})
    mail.compose(user, "password_reset", _l("Reset your Witkey password"), locale=locale or mail.current_locale(),
                 token=token, minutes=int(RESET_MAX_AGE.total_seconds() // 60))


def user_for_reset(token: str) -> User:
    """The account a reset link is for, while the link is valid and unused; else 422 `invalid_token`."""
    try:
        data = _serializer("witkey-reset-password").loads(token or "", max_age=RESET_MAX_AGE.total_seconds())
    except (BadSignature, SignatureExpired):
        data = None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) and isinstance(data.get("u"), int) else None
    if user is None or not user.active or _password_fingerprint(user) != data.get("p"):
        raise Invalid(_l("This reset link is not valid, was used already or has expired. Ask for a new one."),
                      code="invalid_token", fields={"token": _l("Not valid or expired.")})
    return user


def reset_password(token: str, new: str, *, revoke_tokens: bool = True) -> User:
    """Set the password from a reset link: the link is then void, every login ends, and the API tokens
    are revoked unless the user keeps them. Following the link also proves the address."""
    user = user_for_reset(token)
    check({"new_password": _password_error(new, user.email, user.display_name)})
    _set_password(user, new, revoke_tokens=revoke_tokens, keep_current_login=False)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def _digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> tuple[str, ApiToken]:
    """A new API token; the raw value is returned once and never stored."""
    if user.is_suspended:  # the token route answers 403 with the reason first; this is the last guard
        raise Forbidden(code="account_suspended")
    name = (name or "").strip()[:100] or str(_l("API token"))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=_digest(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    return raw, token


def user_for_token(raw: str) -> User | None:
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _digest(raw or ""), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user))  # the token and its owner in one statement: every API call asks
    )
    if token is None or not token.user.is_active:  # suspension revokes tokens too; this is the last guard
        return None
    now = utcnow()
    # Record use at most once a minute: a busy integration should not write on every call. Written
    # after the request, outside its transaction (services.use_marks).
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        use_marks.mark(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
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


def revoke_all_tokens(user: User) -> int:
    return db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow())).rowcount


def update_settings(user: User, *, display_name: str, locale: str | None, timezone: str,
                    email_notifications: bool | None = None) -> User:
    display_name = (display_name or "").strip()
    check({
        "display_name": not 1 <= len(display_name) <= 100 and _l("Enter a name of 1 to 100 characters."),
        "locale": locale not in (None, "", "zh_CN", "en") and _l("Choose a listed language."),
        "timezone": timezone not in available_timezones() and _l("Choose a listed time zone."),
    })
    user.display_name, user.locale, user.timezone = display_name, locale or None, timezone
    if email_notifications is not None:
        user.email_notifications = email_notifications
    return user
