"""Two-factor sign-in: TOTP (RFC 6238: 6 digits, 30 s steps, SHA-1, as every authenticator app does it)
and ten single-use recovery codes.

Policy: required for platform staff (a staff account without it can do nothing but enrol or sign out:
`needs_enrolment`), optional for brands and providers, and required for anyone changing payout
details (`require_code`). An enrolled user signs in with a code after the password, on the web and
for API tokens.

- The secret is base32, stored as is in `users.totp_secret` (no encryption library is installed): it is
  shown only while enrolling and never again once a first code confirmed it.
- A code is accepted for the current step and one step either side (clock drift), and only for a step
  later than the last accepted one (`users.totp_last_step`, moved by a conditional UPDATE), so a code
  seen over someone's shoulder, or sent twice, is refused.
- Recovery codes are stored as argon2 hashes (the password hasher) and each is used once (another
  conditional UPDATE on `used_at`).
"""
import base64
import binascii
import io
import secrets

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update

from extensions import db
from models import RecoveryCode, User
from models.types import utcnow
from services.accounts import _hasher
from services.errors import Conflict, Forbidden, Invalid, Unauthorized

ISSUER = "Witkey"
DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1  # one step either side of now
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # ~49 bits each


def needs_enrolment(user: User | None) -> bool:
    """A staff account without two-factor sign-in: it may enrol and sign out, nothing else."""
    return user is not None and user.is_admin and not user.totp_enabled


def require_enrolled_staff(user: User | None) -> None:
    if needs_enrolment(user):
        raise Forbidden(_l("Staff accounts need two-factor sign-in: set it up on your account page first."),
                        code="totp_required")


def valid_secret(secret: str) -> str | None:
    """The secret normalised (upper case, no spaces or padding), or None when it is not base32 of at
    least 128 bits (RFC 4226 asks for 128, recommends 160)."""
    secret = "".join((secret or "").split()).upper().rstrip("=")
    if len(secret) < 26 or len(secret) > 64 or any(ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for ch in secret):
        return None
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8))
    except binascii.Error:
        return None  # a length no whole number of bytes has
    return secret


# --- enrolment ------------------------------------------------------------------------------------------

def begin_enrolment(user: User) -> str:
    """A new secret waiting for its first code (the one waiting already, if any). Enrolled: 409."""
    if user.totp_enabled:
        raise Conflict(_l("Two-factor sign-in is already on."), code="totp_enabled")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()  # 160 bits
        user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> bytes:
    """The otpauth:// URI as an SVG QR code (for an authenticator app to scan), while enrolling only."""
    if user.totp_enabled or user.totp_secret is None:
        raise Conflict(_l("There is no two-factor set-up in progress."), code="totp_not_pending")
    out = io.BytesIO()
    segno.make(provisioning_uri(user), error="m").save(out, kind="svg", scale=5, border=2)
    return out.getvalue()


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on once the app shows a right code; returns the recovery codes (shown once)."""
    if user.totp_enabled:
        raise Conflict(_l("Two-factor sign-in is already on."), code="totp_enabled")
    if user.totp_secret is None or not _accept_totp(user, code):
        raise Invalid(_l("That code is not right. Check the time on your phone and enter the code shown now."),
                      code="invalid_otp", fields={"code": _l("Not the current code.")})
    user.totp_enabled_at = utcnow()
    return _new_recovery_codes(user)


def enrol_with_secret(user: User, secret: str) -> None:
    """Enrol on a secret the operator chose (`flask users create-admin --totp-secret`)."""
    normalised = valid_secret(secret)
    if normalised is None:
        raise Invalid(_l("Give the TOTP secret in base32 (at least 26 characters A–Z, 2–7)."),
                      code="invalid_secret", fields={"totp_secret": _l("Not a base32 secret.")})
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = normalised, utcnow(), None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working); needs a current code."""
    require_code(user, code, field="code")
    return _new_recovery_codes(user)


def disable(user: User, code: str) -> None:
    """Turn two-factor sign-in off (brands and providers; staff must keep it); needs a current code."""
    if user.is_admin:
        raise Forbidden(_l("Staff accounts must keep two-factor sign-in."), code="totp_required")
    require_code(user, code, field="code")
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def unused_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))).all())


# --- checking codes -------------------------------------------------------------------------------------

def verify(user: User, code: str | None) -> bool:
    """True when `code` is a TOTP code not used before, or an unused recovery code (which is then used
    up). Only for enrolled users."""
    if not user.totp_enabled:
        return False
    code = "".join((code or "").split()).replace("-", "").lower()
    if code.isdigit() and len(code) == DIGITS:
        return _accept_totp(user, code)
    return _use_recovery_code(user, code)


def check_token_sign_in(user: User, otp: str | None) -> None:
    """The second factor of `POST /auth/tokens`: staff without it get no token (403 `totp_required`);
    an enrolled user must send a current code (401 `otp_required`, or `invalid_otp` when wrong or used)."""
    require_enrolled_staff(user)
    if not user.totp_enabled:
        return
    if not (otp or "").strip():
        raise Unauthorized(_l("Send the current code from your authenticator app as `otp`."), code="otp_required")
    if not verify(user, otp):
        raise Unauthorized(_l("That code is not right or was used already."), code="invalid_otp")


def require_code(user: User, code: str | None, *, field: str = "otp") -> None:
    """For sensitive changes (payout details, recovery codes, turning 2FA off): 403 `totp_required` when
    the user has not enrolled, 422 `invalid_otp` when the code is missing, wrong or used."""
    if not user.totp_enabled:
        raise Forbidden(_l("Turn on two-factor sign-in on your account page first: this change needs a code "
                           "from your authenticator app."), code="totp_required")
    if not verify(user, code):
        raise Invalid(_l("Enter the current code from your authenticator app (or a recovery code)."),
                      code="invalid_otp", fields={field: _l("Not the current code.")})


def _accept_totp(user: User, code: str | None) -> bool:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == DIGITS) or user.totp_secret is None:
        return False
    totp = pyotp.TOTP(user.totp_secret, digits=DIGITS, interval=STEP_SECONDS)
    now_step = totp.timecode(utcnow())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            # Only a later step than the last accepted one; the UPDATE decides between two racing requests.
            moved = db.session.execute(
                update(User).where(User.id == user.id,
                                   or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
            if moved == 1:
                db.session.expire(user, ["totp_last_step"])
                return True
            return False
    return False


def _use_recovery_code(user: User, code: str) -> bool:
    if len(code) != _RECOVERY_LENGTH:
        return False
    hasher = _hasher()
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                            RecoveryCode.used_at.is_(None))):
        try:
            hasher.verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        used = db.session.execute(
            update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
        return used == 1
    return False


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    hasher = _hasher()
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hasher.hash(code)) for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]
