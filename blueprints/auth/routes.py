"""Register, log in, log out; confirm the e-mail address; reset a forgotten password.

Each login is a row (services.sessions): logging out ends it, so a copy of its cookies stops working."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints import limits
from blueprints.auth.forms import (
    AppealForm,
    ForgotPasswordForm,
    LoginCodeForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from blueprints.limits import register_limits, sign_in_limits, verification_resend_limits
from blueprints.web import ActionForm, local_path, show_errors
from extensions import db, limiter
from models import User
from services import accounts, mail, sessions, suspensions, two_factor
from services.errors import Conflict, DomainError

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    return local_path(request.args.get("next"), default)


@bp.route("/register", methods=["GET", "POST"])
@register_limits
def register():
    """Create a brand or provider account. The answer is the same whether or not the address already
    has an account (no login, a redirect to the login page saying a message was sent): a new address
    gets its verification link, a taken one's owner an e-mail about the attempt (services.accounts)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register_quietly(email=form.email.data, password=form.password.data,
                                      role=form.role.data, display_name=form.display_name.data,
                                      locale=mail.current_locale())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(_("We sent a message to %(email)s: follow its link to confirm your e-mail address, then log "
                    "in.", email=accounts.normalise_email(form.email.data)), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limits
def login():
    """Log in with e-mail and password (rate-limited per client address)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            limits.sign_in_failed()
        elif user.totp_enabled:
            db.session.commit()  # a password rehash; the login itself waits for the code (and a suspension too)
            # The second step: the password is right, the login starts once a code is (_PENDING_SECONDS to enter it).
            session[_PENDING] = {"u": user.id, "remember": bool(form.remember.data), "at": int(time.time()),
                                 "next": _safe_next(url_for("main.index"))}
            return redirect(url_for("auth.login_code"))
        elif not user.is_suspended:
            sessions.start(user)
        db.session.commit()  # the login's row, and a password rehash if the hashing parameters were raised
        if user is not None and user.is_suspended:
            return _show_suspension(user)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(url_for("main.index")))
    return render_template("auth/login.html", form=form)


_PENDING = "pending_two_factor"
_PENDING_SECONDS = 300


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > _PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending.get("u"))
    return (user, pending) if user is not None and user.active and user.totp_enabled else (None, {})


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login_code():
    """The second step for users with two-factor sign-in: a code from the authenticator app or a
    recovery code (rate-limited per client address like the password step)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user, pending = _pending_user()
    if user is None:
        session.pop(_PENDING, None)
        flash(_("Log in again: the code must follow the password within %(minutes)s minutes.",
                minutes=_PENDING_SECONDS // 60), "info")
        return redirect(url_for("auth.login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        accepted = two_factor.verify(user, form.code.data)
        if accepted and not user.is_suspended:
            sessions.start(user)
        db.session.commit()  # the accepted time step or used recovery code, and the login's row
        if accepted and user.is_suspended:
            session.pop(_PENDING, None)
            return _show_suspension(user)
        if accepted:
            session.pop(_PENDING, None)
            login_user(user, remember=pending.get("remember", False))
            return redirect(local_path(pending.get("next"), url_for("main.index")))
        form.code.errors.append(_("That code is not right or was used already."))
    return render_template("auth/login_code.html", form=form), 422 if form.is_submitted() else 200


# --- a suspended account: the reason, and the one appeal ------------------------------------------------

# Signing in to a suspended account with the right password (and code) shows why it is suspended and takes
# the one appeal, but gives no login: no `user_logins` row, no Flask-Login identity. This flag in the signed
# session cookie names the account for _NOTICE_SECONDS, like the pending second factor above; only the
# `suspended` view reads it, so whoever holds it can read their reason and appeal, and do nothing else.
_NOTICE = "suspension_notice"
_NOTICE_SECONDS = 1800


def _show_suspension(user: User):
    session[_NOTICE] = {"u": user.id, "at": int(time.time())}
    return redirect(url_for("auth.suspended"))


@bp.route("/suspended", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def suspended():
    """What a suspended account's owner sees after signing in: the reason, the date, and the appeal form
    (once; afterwards where the appeal stands)."""
    notice = session.get(_NOTICE)
    if not isinstance(notice, dict) or time.time() - notice.get("at", 0) > _NOTICE_SECONDS:
        session.pop(_NOTICE, None)
        return redirect(url_for("auth.login"))
    suspension = suspensions.standing_for(notice.get("u"))
    if suspension is None:  # lifted meanwhile: signing in works again
        session.pop(_NOTICE, None)
        flash(_("Your account works again: log in."), "success")
        return redirect(url_for("auth.login"))
    form = AppealForm()
    if suspension.appealed_at is None and form.validate_on_submit():
        try:
            suspensions.appeal(notice["u"], suspension.id, form.text.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(_("Your appeal is sent. A staff member other than the one who suspended you decides it; "
                    "you will be told by e-mail."), "success")
            return redirect(url_for("auth.suspended"))
    response = make_response(render_template("auth/suspended.html", suspension=suspension, form=form),
                             422 if form.is_submitted() else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout")
@login_required
def logout():
    """Log out (a POST with CSRF token, so another site cannot log a user out). The login's row goes,
    so a copy of this browser's session or "keep me logged in" cookie is refused from now on."""
    sessions.end(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))


# --- e-mail verification ---------------------------------------------------------------------------

@bp.get("/verify-email/<token>")
def verify_email(token: str):
    """The link in the verification mail (no login needed: the signed link is the proof)."""
    try:
        accounts.verify_email(token)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))


@bp.post("/verify-email/resend")
@login_required
@verification_resend_limits
def resend_verification():
    """Mail the verification link again (5 an hour per account)."""
    if ActionForm().validate_on_submit():
        try:
            accounts.send_verification(current_user, locale=mail.current_locale())
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            flash(str(exc.message), "info")
        else:
            flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    return redirect(_safe_next(url_for("account.index")))


# --- password reset ------------------------------------------------------------------------------------

@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, locale=mail.current_locale())
        db.session.commit()
        flash(_("If an account uses %(email)s, we sent it a link to choose a new password. It works for "
                "%(minutes)s minutes.", email=form.email.data.strip(),
                minutes=int(accounts.RESET_MAX_AGE.total_seconds() // 60)), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def reset_password(token: str):
    """Choose a new password from a reset link: every login ends (this browser's too), and the API
    tokens are revoked unless the box is unticked."""
    try:
        accounts.user_for_reset(token)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.new_password.data, revoke_tokens=form.revoke_tokens.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            logout_user()
            flash(_("Your password is changed and every login was signed out. Log in with the new password."),
                  "success")
            return redirect(url_for("auth.login"))
    response = make_response(render_template("auth/reset_password.html", form=form),
                             422 if form.is_submitted() else 200)
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's token never leaves in a Referer
    return response
