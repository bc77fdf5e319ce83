"""Helpers shared by the web blueprints: role checks and turning domain errors into form messages."""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import Form

from extensions import db
from services import conversations, two_factor
from services.errors import DomainError


def role_required(*roles: str):
    """Login required, and the user must have one of `roles` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# What a staff account without two-factor sign-in may still do: enrol, sign out, switch language.
ENROLMENT_ENDPOINTS = frozenset({
    "static", "account.two_factor_index", "account.two_factor_start", "account.two_factor_qr",
    "account.two_factor_confirm", "auth.logout", "account.sign_out_everywhere", "main.set_language",
})


def staff_two_factor_gate():
    """Before every web request (app.py): a staff account without two-factor sign-in is sent to enrol,
    whatever page or action it asked for. (The API refuses it with 403 `totp_required`: api/routing.py.)"""
    if request.blueprint == "api" or request.endpoint in ENROLMENT_ENDPOINTS or request.endpoint is None:
        return None
    if current_user.is_authenticated and two_factor.needs_enrolment(current_user):
        flash(_("Staff accounts need two-factor sign-in: set it up to continue."), "info")
        return redirect(url_for("account.two_factor_index"))
    return None


def unread_messages(user) -> int:
    """The header's unread-message count, counted once a request: the home page's to-do list shows the
    same number (one query each before)."""
    if "unread_messages" not in g:
        g.unread_messages = conversations.unread_total(user)
    return g.unread_messages


def local_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: never a redirect to another host (and never
    one built from the request's Host header)."""
    target = target or ""
    parts = urlsplit(target)
    # Browsers read "/\evil.example" as "//evil.example": refuse backslashes and control characters too.
    if (target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme
            and "\\" not in target and target.isprintable()):
        return target
    return default


def show_errors(form: Form, exc: DomainError, *, aliases: dict[str, str] | None = None) -> None:
    """Put each field's reason under that field; anything else becomes a flash message."""
    aliases = aliases or {}
    unplaced = []
    for name, why in exc.fields.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(why)] if isinstance(field.errors, list) else [str(why)]
        else:
            unplaced.append(str(why))
    if not exc.fields or unplaced:
        flash(" ".join([str(exc.message), *unplaced]) if exc.fields else str(exc.message), "error")


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that POST an action."""


def submitted(form: FlaskForm) -> bool:
    """form.validate_on_submit() for a POST that redirects back (the form is not shown again): when the
    form is invalid, what is wrong is flashed, so the user learns why nothing happened."""
    if form.validate_on_submit():
        return True
    for field in form:
        for error in field.errors:
            if not isinstance(error, dict | list):  # (a FieldList's entries hold dicts of their own)
                message = str(error)  # a validator's message may be a lazy translation
                flash(message if field.type == "CSRFTokenField"
                      else _("%(field)s: %(error)s", field=field.label.text, error=message), "error")
    return False


def perform(action, *, form: Form | None = None, success: str | None = None):
    """Run one service call and commit; return its result (True if it returns None), or False.

    On a domain error roll back and tell the user: under the form's fields when there is a form,
    else as a flash message (403/404 still become error pages)."""
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if form is not None:
            show_errors(form, exc)
        elif exc.status in (403, 404):
            raise
        else:  # no form to show them under: the reasons go with the message
            flash(" ".join([str(exc.message), *(str(why) for why in exc.fields.values())]), "error")
        return False
    if success:
        flash(success, "success")
    return True if result is None else result


def filter_args(*names: str) -> dict:
    """The query's filters to carry into page links: the named ones only, never `page` (the pager sets
    it) nor a stray `endpoint` or `_external`, which url_for would take as its own arguments."""
    return {k: v for k, v in request.args.items() if k in names}
