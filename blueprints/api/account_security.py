"""Signing in safely, as the web's account and sign-in pages offer it (services.accounts, two_factor,
suspensions): a password reset from a mailed link, the verification link mailed again, two-factor
sign-in turned on and off, and a suspended account's appeal.

None of these honours Idempotency-Key: their answers carry secrets (a TOTP secret, recovery codes) or
follow from a password, and a stored answer must not keep them."""
from flask import current_app
from pydantic import BaseModel, Field

from blueprints import limits
from blueprints.api.routing import api_route, current_api_user
from services import accounts, mail, suspensions, two_factor
from services.errors import NotFound, Unauthorized


class PasswordResetIn(BaseModel):
    email: str = Field(max_length=254)


class PasswordResetConfirmIn(BaseModel):
    token: str = Field(max_length=500, description="the token in the mailed link (…/reset-password/<token>)")
    new_password: str = Field(max_length=128)
    revoke_tokens: bool = Field(True, description="also revoke every API token of the account")


class AcceptedOut(BaseModel):
    accepted: bool = True


class TwoFactorStartOut(BaseModel):
    secret: str = Field(description="base32, for the authenticator app (shown until a first code confirms it)")
    otpauth_uri: str = Field(description="the same as an otpauth:// URI (what the web's QR code holds)")


class TwoFactorCodeIn(BaseModel):
    code: str = Field(max_length=32, description="the code the authenticator app shows now (or a recovery code "
                                                 "where one is accepted)")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="shown once; each works once in place of a code")


class TwoFactorOut(BaseModel):
    enabled: bool
    unused_recovery_codes: int


class AppealIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)
    otp: str | None = Field(None, max_length=32, description="a current code, for accounts with two-factor sign-in")
    text: str = Field(max_length=4000, description="why the suspension should be lifted")


class AppealOut(BaseModel):
    suspension_id: int
    appealed: bool = True


def _limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# --- password reset and e-mail verification --------------------------------------------------------------

@api_route("/auth/password-reset", "POST", summary="Mail a link to choose a new password", tag="Accounts",
           body=PasswordResetIn, response=AcceptedOut, status=202, auth=False, rate_limit=_limit)
def request_password_reset(body: PasswordResetIn):
    """The answer is the same whether or not an account uses the address (nobody learns who has one).
    The link works for 30 minutes, once."""
    accounts.request_password_reset(body.email, locale=mail.current_locale())
    return AcceptedOut()


@api_route("/auth/password-reset/confirm", "POST", summary="Choose a new password with a reset link's token",
           tag="Accounts", body=PasswordResetConfirmIn, status=204, auth=False, errors=(422,), rate_limit=_limit)
def confirm_password_reset(body: PasswordResetConfirmIn):
    """Every login ends and, unless `revoke_tokens` is false, every API token is revoked; the link is then
    void. A bad, used or expired token is 422 `invalid_token`."""
    accounts.reset_password(body.token, body.new_password, revoke_tokens=body.revoke_tokens)
    return ""


@api_route("/me/email-verification", "POST", summary="Mail the verification link again", tag="Accounts",
           response=AcceptedOut, status=202, errors=(409,), idempotent=False,
           limits=limits.verification_resend_limits)
def resend_verification():
    """409 `already_verified` when the address is confirmed. 5 an hour per person, shared with the
    account page's button (429 beyond)."""
    accounts.send_verification(current_api_user(), locale=mail.current_locale())
    return AcceptedOut()


# --- two-factor sign-in ------------------------------------------------------------------------------------

def _two_factor_out(user) -> TwoFactorOut:
    return TwoFactorOut(enabled=bool(user.totp_enabled), unused_recovery_codes=two_factor.unused_recovery_codes(user))


@api_route("/me/two-factor", summary="Whether two-factor sign-in is on", tag="Accounts", response=TwoFactorOut)
def get_two_factor():
    return _two_factor_out(current_api_user())


@api_route("/me/two-factor/start", "POST", summary="Begin turning two-factor sign-in on", tag="Accounts",
           response=TwoFactorStartOut, errors=(409,), idempotent=False)
def start_two_factor():
    """A new secret (the same one while enrolment waits for its first code); 409 `totp_enabled` when on."""
    user = current_api_user()
    secret = two_factor.begin_enrolment(user)
    return TwoFactorStartOut(secret=secret, otpauth_uri=two_factor.provisioning_uri(user))


@api_route("/me/two-factor/confirm", "POST", summary="Turn two-factor sign-in on with a first code",
           tag="Accounts", body=TwoFactorCodeIn, response=RecoveryCodesOut, errors=(409, 422), idempotent=False)
def confirm_two_factor(body: TwoFactorCodeIn):
    """From now on a token is issued for the password and a code. A wrong code is 422 `invalid_otp`."""
    return RecoveryCodesOut(recovery_codes=two_factor.confirm_enrolment(current_api_user(), body.code))


@api_route("/me/two-factor/recovery-codes", "POST", summary="Ten new recovery codes (the old ones stop working)",
           tag="Accounts", body=TwoFactorCodeIn, response=RecoveryCodesOut, errors=(403, 422), idempotent=False)
def new_recovery_codes(body: TwoFactorCodeIn):
    return RecoveryCodesOut(recovery_codes=two_factor.regenerate_recovery_codes(current_api_user(), body.code))


@api_route("/me/two-factor/disable", "POST", summary="Turn two-factor sign-in off", tag="Accounts",
           body=TwoFactorCodeIn, response=TwoFactorOut, errors=(403, 422), idempotent=False)
def disable_two_factor(body: TwoFactorCodeIn):
    """Needs a current code; staff must keep it (403 `totp_required`)."""
    user = current_api_user()
    two_factor.disable(user, body.code)
    return _two_factor_out(user)


# --- a suspended account's appeal ------------------------------------------------------------------------

@api_route("/auth/suspension-appeal", "POST", summary="Appeal the suspension of one's account", tag="Accounts",
           body=AppealIn, response=AppealOut, status=201, auth=False, errors=(401, 403, 404, 409, 422),
           limits=limits.sign_in_limits)
def appeal_suspension(body: AppealIn):
    """A suspended account gets no token, so it proves itself with its password (and code) here, as on the
    page shown after signing in; counted with the sign-in limits. Once per suspension (409
    `already_appealed`); an account that is not suspended is 404. A staff member other than the one who
    suspended it decides, and the owner is told by e-mail."""
    user = accounts.authenticate(body.email, body.password)
    if user is None:
        limits.sign_in_failed()
        raise Unauthorized(code="invalid_credentials")
    two_factor.check_token_sign_in(user, body.otp)
    suspension = suspensions.standing_for(user.id)
    if suspension is None:
        raise NotFound()
    suspensions.appeal(user.id, suspension.id, body.text)
    return AppealOut(suspension_id=suspension.id)
