"""Accounts: register, tokens, me."""
from flask import current_app

from blueprints import limits
from blueprints.api.presenters import user_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.accounts import (
    Balance,
    MeOut,
    RegisterIn,
    TokenIn,
    TokenOut,
    UserOut,
    VerifyEmailIn,
    VerifyEmailOut,
)
from services import accounts, ledger, mail, suspensions, two_factor
from services.errors import Unauthorized


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@api_route("/auth/register", "POST", summary="Register a brand or provider account", tag="Accounts",
           body=RegisterIn, response=UserOut, status=201, auth=False, errors=(409, 422),
           limits=limits.register_limits)
def register(body: RegisterIn):
    """A link to verify the address is mailed, in the language of the request's Accept-Language.
    Rate-limited per client address and per e-mail, together with the web registration form; a 409
    `email_taken` counts too."""
    user = accounts.register(email=body.email, password=body.password, role=body.role,
                             display_name=body.display_name, locale=mail.current_locale())
    return user_out(user)


@api_route("/auth/verify-email", "POST", summary="Confirm an e-mail address with the token from its link",
           tag="Accounts", body=VerifyEmailIn, response=VerifyEmailOut, auth=False, errors=(422,),
           rate_limit=_login_limit)
def verify_email(body: VerifyEmailIn):
    """A bad or expired token, or one for an address the account no longer has, is a 422 `invalid_token`."""
    accounts.verify_email(body.token)
    return VerifyEmailOut(email_verified=True)


@api_route("/auth/tokens", "POST", summary="Exchange e-mail and password for an API token", tag="Accounts",
           body=TokenIn, response=TokenOut, status=201, auth=False, errors=(401, 403),
           limits=limits.sign_in_limits)
def create_token(body: TokenIn):
    """Rate-limited per client address and, for wrong passwords, per account, together with the web
    login form. The token is returned once; only its hash is stored. Staff, and users who turned on
    two-factor sign-in, also send `otp`: a current TOTP code (each accepted once)."""
    user = accounts.authenticate(body.email, body.password)
    if user is None:
        limits.sign_in_failed()
        raise Unauthorized(code="invalid_credentials")
    two_factor.check_token_sign_in(user, body.otp)
    suspensions.refuse_if_suspended(user)  # 403 `account_suspended`, with the reason: only after the password
    raw, _token = accounts.issue_token(user, body.name or "")
    return TokenOut(token=raw, user=user_out(user))


@api_route("/me", summary="The caller's account and balances", tag="Accounts", response=MeOut)
def me():
    user = current_api_user()
    balances = [Balance(account=b.account, amount=b.amount, currency=b.currency)
                for b in ledger.balances_of(user)]
    return MeOut(**user_out(user).model_dump(), balances=balances)
