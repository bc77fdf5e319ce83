"""The API's one route decorator: auth, input validation, transaction, JSON out, and a record
of every route so `openapi.py` can describe exactly what exists.

A route reads: `@api_route(...)` → a service call → return a schema instance (or dict).
"""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from blueprints.limits import bearer_user
from extensions import db, limiter
from services import idempotency, two_factor
from services.errors import DomainError, Forbidden, Invalid, Unauthorized

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass
class RouteSpec:
    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    auth: bool
    roles: tuple[str, ...]
    errors: tuple[int, ...] = field(default_factory=tuple)
    upload: bool = False  # multipart/form-data with a `file` part
    download: bool | str = False  # answers with the file itself (a str: its media type)
    idempotent: bool = False  # honours Idempotency-Key (every POST made by a signed-in user)
    rate_limited: bool = False  # counted per client address (login, tokens, registration): 429 past the limit
    also: tuple[int, ...] = ()  # other success statuses the view may answer (with `Answer`), same response schema


@dataclass(frozen=True)
class Answer:
    """A view's result answered with another success status than the route's own (one of its `also`),
    e.g. 202 for a correction that waits for approval where an applied one is 201."""

    result: object
    status: int


def _payload(result, status: int):
    """(JSON-ready payload, status) of what a view returned."""
    if isinstance(result, Answer):
        result, status = result.result, result.status
    return (result.model_dump(mode="json") if isinstance(result, BaseModel) else result), status


ROUTES: list[RouteSpec] = []


def current_api_user():
    return g.get("api_user")


def uploaded_file():
    """The multipart part named `file` of an `upload=True` route (422 naming it when missing)."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(fields={"file": "a multipart part named `file` is required"})
    return upload


def _authenticate(required: bool):
    user = bearer_user()
    if user is None and required:
        raise Unauthorized()
    g.api_user = user
    return user


def _parse_body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True) or b"{}"
    # Strict: "100" is not an amount and 10.5 is not an integer; the contract answers 400 for those.
    return model.model_validate_json(raw, strict=True)


def _parse_query(model: type[BaseModel]) -> BaseModel:
    # Query strings are text by nature, so they are parsed in lax mode ("2" → 2).
    return model.model_validate({k: v for k, v in request.args.items() if v != ""})


def api_route(rule: str, method: str = "GET", *, summary: str, tag: str, body=None, query=None,
              response=None, status: int = 200, auth: bool = True, roles: tuple[str, ...] = (),
              rate_limit: Callable[[], str] | None = None, limits: Callable | None = None,
              errors: tuple[int, ...] = (), upload: bool = False,
              download: bool | str = False, idempotent: bool | None = None, also: tuple[int, ...] = ()):
    """Register an API view. The view gets `body=` / `query=` as validated models, path args as usual.

    `idempotent` defaults to "every POST with a signed-in user": a client retrying a create or an
    action after a lost answer gets the first answer back, not a 409. Stored answers are keyed by
    user, so the anonymous POSTs (registration, token issuance) cannot honour the header.
    `rate_limit` limits the route on its own per client address; `limits` applies a decorator of shared
    limits (blueprints.limits) instead."""
    if idempotent is None:
        idempotent = method == "POST" and auth

    def decorator(fn):
        spec = RouteSpec(rule=rule, method=method, endpoint=fn.__name__, summary=summary,
                         description=(fn.__doc__ or "").strip(), tag=tag, body=body, query=query,
                         response=response, status=status, auth=auth, roles=roles, errors=errors,
                         upload=upload, download=download, idempotent=idempotent,
                         rate_limited=rate_limit is not None or limits is not None, also=also)
        ROUTES.append(spec)

        @wraps(fn)
        def view(**path_args):
            user = _authenticate(required=auth)
            two_factor.require_enrolled_staff(user)  # staff without two-factor sign-in: 403 `totp_required`
            if roles and (user is None or user.role not in roles):
                raise Forbidden()
            if body is not None:
                path_args["body"] = _parse_body(body)
            if query is not None:
                path_args["query"] = _parse_query(query)
            key = request.headers.get("Idempotency-Key") if idempotent else None
            if key is not None:
                return _idempotent(user, key, lambda: fn(**path_args), status, upload)
            result = fn(**path_args)
            if isinstance(result, Response):  # a file download
                return result
            payload, answered = _payload(result, status)
            if method != "GET":  # a read never commits: it has nothing to write
                db.session.commit()
            return jsonify(payload), answered

        if rate_limit is not None:
            view = limiter.limit(rate_limit, methods=[method])(view)
        if limits is not None:
            view = limits(view)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorator


def _request_body_for_fingerprint(upload: bool) -> bytes:
    """The request's content as the fingerprint sees it. A multipart body carries a boundary that a
    client picks afresh on every retry, so an upload is described by its parts instead."""
    if not upload:
        return request.get_data(cache=True)
    digest = hashlib.sha256()
    for name, value in sorted(request.form.items(multi=True)):
        digest.update(b"form\0%s\0%s\0" % (name.encode(), value.encode()))
    for name, part in sorted(request.files.items(multi=True), key=lambda item: (item[0], item[1].filename or "")):
        digest.update(b"file\0%s\0%s\0" % (name.encode(), (part.filename or "").encode()))
        for chunk in iter(lambda p=part: p.stream.read(1 << 16), b""):
            digest.update(chunk)
        part.stream.seek(0)
    return digest.hexdigest().encode()


def _commit() -> None:
    """The idempotent request's COMMIT (a seam for the test that loses its answer)."""
    db.session.commit()


def _idempotent(user, key: str, call, status: int, upload: bool = False):
    """Replay the stored answer for this key, or run the call and store its answer with it.

    A twin request racing with the same key either waits on the same rows and then fails (conflict,
    duplicate key) or loses on the unique (user, key) row; either way it answers what the winner stored.
    A request that ran and was refused (409, 422: say, insufficient funds) stores that answer too, so
    a retry with the same key gets the same refusal instead of a second attempt — as Stripe does."""
    idempotency.validate_key(key)
    fp = idempotency.fingerprint(request.method, request.path, _request_body_for_fingerprint(upload))
    if (row := idempotency.stored(user, key, fp)) is not None:
        return jsonify(row.body), row.status_code
    user_id = user.id  # (read now: after a failed COMMIT the user's attributes cannot be loaded)
    try:
        payload, status = _payload(call(), status)
        idempotency.remember(user, key, fp, status, payload)
        try:
            _commit()
        except (OperationalError, InterfaceError):  # the connection went during COMMIT: did it commit?
            if (row := idempotency.after_lost_commit(user_id, key, fp)) is None:
                raise  # it did not: 503, try again (blueprints/errors.py)
            return jsonify(row.body), row.status_code  # it did: the answer it stored
    except (DomainError, IntegrityError) as exc:
        db.session.rollback()
        if (row := idempotency.stored(user, key, fp)) is not None:
            return jsonify(row.body), row.status_code
        if isinstance(exc, DomainError) and exc.status in (409, 422):
            body = {"error": {"code": exc.code, "message": str(exc.message),
                              **({"fields": {k: str(v) for k, v in exc.fields.items()}} if exc.fields else {})}}
            idempotency.remember(user, key, fp, exc.status, body)
            db.session.commit()
            return jsonify(body), exc.status
        raise
    return jsonify(payload), status
