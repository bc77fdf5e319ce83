"""Shared rate limits for signing in and registering, one count whichever door is used.

- Sign-in attempts (web /login and API POST /auth/tokens): LOGIN_RATE_LIMIT per client address, every
  attempt counted; and LOGIN_ACCOUNT_FAILURE_LIMIT per account (the normalised e-mail being tried, whether
  or not it has an account), counting failed attempts only, so guessing one account's password from many
  addresses is bounded too.
- Registrations (web /register and API POST /auth/register): REGISTER_RATE_LIMIT per client address and
  REGISTER_EMAIL_RATE_LIMIT per e-mail, every attempt counted (the API's 409 `email_taken` included).

The limiter counts in a moving (sliding) window (RATELIMIT_STRATEGY): a per-account lock lasts only while
failures keep arriving; once the attacker stops, the oldest failures age out one by one and the owner can
sign in again within the window, so nobody can lock a victim out for good by guessing wrong."""
from flask import current_app, g, request

from extensions import limiter
from services.accounts import normalise_email, user_for_token


def _email_tried() -> str:
    """The e-mail the request is about, from the form or the JSON body (empty if none)."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return normalise_email(email if isinstance(email, str) else "")[:254]


def sign_in_failed() -> None:
    """Called by a sign-in view when the e-mail and password did not match: counts for the account."""
    g.sign_in_failed = True


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_failure_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_FAILURE_LIMIT"]


def _register_limit() -> str:
    return current_app.config.get("REGISTER_RATE_LIMIT") or current_app.config["LOGIN_RATE_LIMIT"]


def _register_email_limit() -> str:
    return current_app.config["REGISTER_EMAIL_RATE_LIMIT"]


_sign_in_per_address = limiter.shared_limit(_address_limit, scope="sign-in", methods=["POST"])
_sign_in_per_account = limiter.shared_limit(
    _account_failure_limit, scope="sign-in-account", methods=["POST"],
    key_func=lambda: f"account:{_email_tried()}", deduct_when=lambda _response: bool(g.get("sign_in_failed")))
_register_per_address = limiter.shared_limit(_register_limit, scope="register", methods=["POST"])
_register_per_email = limiter.shared_limit(_register_email_limit, scope="register-email", methods=["POST"],
                                           key_func=lambda: f"email:{_email_tried()}")


def sign_in_limits(view):
    return _sign_in_per_address(_sign_in_per_account(view))


def register_limits(view):
    return _register_per_address(_register_per_email(view))


def bearer_user():
    """The owner of the request's `Authorization: Bearer` token (None without a valid one), looked up once
    a request: the message limit's key and the API's authentication both ask, and each lookup is a query."""
    if "bearer_user" not in g:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        g.bearer_user = user_for_token(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
    return g.bearer_user


def _sender() -> str:
    """Who is sending a message: the signed-in person on the web, the token's owner on the API (the key
    is the person, so a second token or browser does not buy a second allowance)."""
    from flask_login import current_user  # noqa: PLC0415 (the API never loads a session user)

    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    user = bearer_user()
    return f"user:{user.id}" if user is not None else f"address:{request.remote_addr}"


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


# One allowance per sender, whether the message comes from a page or the API.
message_limits = limiter.shared_limit(_message_limit, scope="messages", methods=["POST"], key_func=_sender)

# Verification mails on request: 5 an hour per person, whether asked for on the account page or the API.
verification_resend_limits = limiter.shared_limit("5 per hour", scope="verification-resend", methods=["POST"],
                                                  key_func=_sender)
