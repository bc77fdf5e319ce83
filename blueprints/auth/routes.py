"""Register, log in, log out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blueprints.auth.forms import LoginForm, RegisterForm
from blueprints.web import local_path, show_errors
from extensions import db, limiter
from services import accounts
from services.errors import DomainError

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    return local_path(request.args.get("next"), default)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a brand or provider account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(email=form.email.data, password=form.password.data,
                                     role=form.role.data, display_name=form.display_name.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            login_user(user)
            flash(_("Welcome to Witkey, %(name)s.", name=user.display_name), "success")
            return redirect(url_for("account.profile"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Log in with e-mail and password (rate-limited per client address)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        db.session.commit()  # a password rehash, if the hashing parameters were raised
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(url_for("main.index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Log out (a POST with CSRF token, so another site cannot log a user out)."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.index"))
