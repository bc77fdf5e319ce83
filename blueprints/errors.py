"""Every error, in one place: the contract's JSON shape under /api/, friendly pages elsewhere."""
import json
from contextlib import suppress

import redis
import stripe
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    RequestHeaderFieldsTooLarge,
    RequestURITooLarge,
    SecurityError,
)

from extensions import db
from services.errors import DomainError, is_unique_violation


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/"))


def json_error(status: int, code: str, message, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message)}}
    if fields:
        body["error"]["fields"] = {k: str(v) for k, v in fields.items()}
    return jsonify(body), status


RETRY_AFTER_SECONDS = 30  # Stripe's and Redis's passing outages: worth a retry soon, not a hammering

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "invalid", 429: "rate_limited", 431: "headers_too_large",
}

# The app refuses oversized URLs and headers itself, below the web server's own limits (scripts/run.py
# gives gunicorn 8190-byte request lines and 16380-byte header fields), so the API answers them with its
# JSON error rather than the server's bare text.
MAX_URL_BYTES = 4096
MAX_HEADER_FIELD_BYTES = 8192
MAX_HEADER_BYTES = 32768


def _page(status: int, message=None):
    titles = {
        400: _("That request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That action is not available here."),
        413: _("That upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. We have been notified."),
        503: _("Temporarily unavailable."),
    }
    title = titles.get(status, titles[400] if status < 500 else titles[500])
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _json_strings(document):
    """Every string in a decoded JSON document, keys included (a stack, not recursion: any depth)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _has_nul() -> bool:
    values = [v for _, vs in request.args.lists() for v in vs]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [v for _, vs in request.form.lists() for v in vs]
    elif request.is_json and not request.path.startswith("/webhooks/"):  # a signed event is checked as sent
        # decoded, so an escaped backslash before "u0000" is text, not a NUL; a body that is not JSON
        # (or is nested past any sense) is left to the endpoint's validation to describe
        with suppress(ValueError, RecursionError):
            values += _json_strings(json.loads(request.get_data(cache=True)))
    return any("\x00" in v for v in values)


def validation_error_status(exc: ValidationError) -> tuple[int, dict]:
    """400 when the JSON is malformed or a value has the wrong type, else 422 — with field reasons."""
    fields, status = {}, 422
    for err in exc.errors(include_url=False):
        kind = err["type"]
        if kind == "json_invalid" or kind.endswith("_type") or kind in ("int_parsing", "int_from_float",
                                                                       "bool_parsing", "float_parsing"):
            status = 400
        where = ".".join(str(part) for part in err["loc"]) or "body"
        fields.setdefault(where, err["msg"])
    if current_app.debug:
        current_app.logger.debug("validation failed: %s", fields)
    return status, fields


def register_error_handlers(app: Flask) -> None:
    @app.before_request
    def refuse_oversized_requests():
        uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
        if len(uri.encode("utf-8", "surrogateescape")) > MAX_URL_BYTES:
            raise RequestURITooLarge()
        sizes = [len(name) + len(value) for name, value in request.headers.items()]
        if sizes and (max(sizes) > MAX_HEADER_FIELD_BYTES or sum(sizes) > MAX_HEADER_BYTES):
            raise RequestHeaderFieldsTooLarge()

    @app.before_request
    def refuse_nul_characters():
        """PostgreSQL text cannot hold U+0000 (SQLite can): every input refuses it alike, up front."""
        if _has_nul():
            raise BadRequest(_("Text cannot contain the NUL character (U+0000)."))

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()  # never a partial change when a request fails
        if _wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        return _page(exc.status, exc.message)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        db.session.rollback()
        status, fields = validation_error_status(exc)
        message = _("A value has the wrong type, or the body is not valid JSON of the expected shape.") \
            if status == 400 else _("Some values are not valid.")
        return json_error(status, "bad_request" if status == 400 else "invalid", message, fields)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError):
        # A unique constraint beat a concurrent twin of this request: a conflict, not a crash. Any other
        # integrity error (NOT NULL, a foreign key, a CHECK) is a bug of ours: logged, and a 500.
        if not is_unique_violation(exc):
            return unexpected(exc)
        db.session.rollback()
        if _wants_json():
            return json_error(409, "conflict", _("This conflicts with a change made at the same time."))
        return _page(409, _("This conflicts with a change made at the same time."))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc):
        # e.g. /tenders/99999999999999999999: larger than any id or amount the database holds
        db.session.rollback()
        if _wants_json():
            return json_error(422, "out_of_range", _("A number is out of range."))
        return _page(400, _("A number is out of range."))

    @app.errorhandler(stripe.APIConnectionError)
    @app.errorhandler(stripe.RateLimitError)
    @app.errorhandler(stripe.APIError)
    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def unavailable(exc):
        # Stripe, Redis or the database is out of reach (or the database cancelled a statement: a lock or
        # statement timeout): a passing outage, not a bug. What was committed before (a card attempt
        # recorded before Stripe is asked) stands; the client is told to try again shortly — an idempotent
        # retry learns whether a write whose COMMIT lost its answer was made (blueprints/api/routing.py).
        with suppress(OperationalError, InterfaceError):  # the connection may be gone already
            db.session.rollback()
        app.logger.warning("%s %s: a service is unavailable: %r", request.method, request.path, exc)
        message = _("A service we rely on is not answering right now. Please try again in a minute.")
        if _wants_json():
            response, status = json_error(503, "service_unavailable", message)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response, status
        page, status = _page(503, message)
        return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(SecurityError)
    def untrusted_host(exc: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page with links either.
        if _wants_json():
            return json_error(400, "bad_request", _("That request could not be understood."))
        return _("That request could not be understood."), 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        if _wants_json():
            response, status = json_error(status, HTTP_CODES.get(status, "error"), exc.description or exc.name)
            # what the error carries besides its page: `Allow` on a 405 (the methods the URL has), `Retry-After`
            response.headers.extend((k, v) for k, v in exc.get_headers() if k.lower() != "content-type")
            return response, status
        if status == 401:
            return app.login_manager.unauthorized()
        return _page(status, exc.description if status in (400, 413) else None)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return json_error(500, "internal_error", _("Something went wrong on our side."))
        return _page(500)
