"""ETags, 304s and a short Redis cache for the public pages and API reads anonymous visitors hit most
(issue 21, target 5). The version stamps and what bumps them: services/public_cache.py.

For an anonymous GET of an endpoint in PUBLIC (no session user, no `Authorization` header, no message
waiting to be flashed):
- the answer carries a weak `ETag` (the stamp of the kinds it shows, the time window, the language) and
  `Cache-Control: no-cache` with `Vary: Cookie, Authorization, Accept-Language`, so a browser revalidates
  and no shared cache hands an anonymous page to someone signed in;
- `If-None-Match` with the current ETag answers `304 Not Modified` at the cost of one Redis round trip;
- a 200 is kept in Redis for the rest of the window (services.public_cache.WINDOW) and served from there,
  its form token swapped for the visitor's own (the language switch is a form). One key per page and
  language, its value marked with the stamp it was made under, so the versions and the page come in one
  round trip (a pipeline) and a page is served only under the stamp it was made with.
Anyone signed in gets the page rendered for them, with `Cache-Control: no-store` (blueprints/security.py),
and nothing of it is stored: nothing personal or sealed (a sealed tender's bid count, which its brand sees)
ever reaches the cache.
"""
import hashlib
import logging

from flask import Flask, Response, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from extensions import get_redis
from services import public_cache

log = logging.getLogger(__name__)
# endpoint → the kinds of content it shows
PUBLIC = {
    "tenders.index": ("tenders",), "tenders.detail": ("tenders",),
    "api.list_tenders": ("tenders",), "api.get_tender": ("tenders",),
    "providers.index": ("providers",), "providers.detail": ("providers",),
    "api.list_providers": ("providers",), "api.get_provider": ("providers",),
    "contests.index": ("contests",), "contests.detail": ("contests",), "api.get_contest": ("contests",),
}
_TOKEN = b"\x00csrf-token\x00"  # where the visitor's own form token goes in a stored page
_VARY = "Cookie, Authorization, Accept-Language"


def init_public_cache(app: Flask) -> None:
    # With a read replica (db_routing.py) these reads go to it, and it may lag behind the primary: a page
    # read there and stamped with the version the primary's write just set would be kept, and 304'd, as
    # current while it is not. There the replica carries the public load and this cache stays off.
    if app.config.get("DATABASE_REPLICA_URL"):
        return
    app.before_request(_answer_from_cache)
    app.after_request(_keep_for_others)


def _anonymous() -> bool:
    return (request.method == "GET" and request.endpoint in PUBLIC and "Authorization" not in request.headers
            and "_flashes" not in session and not current_user.is_authenticated)


def _page_key(locale: str) -> str:
    """One key per page and language; the value starts with the stamp it was made under, and is served
    only while that is still the current stamp (so the stamp and the page are asked for together)."""
    digest = hashlib.sha256(f"{locale}\x00{request.full_path}".encode()).hexdigest()[:32]
    return f"witkey:public-page:{digest}"


def _headers(response: Response, stamp: str) -> Response:
    response.set_etag(stamp, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = _VARY
    return response


def _answer_from_cache():
    if not _anonymous():
        return None
    locale = str(get_locale())
    key = _page_key(locale)
    stamp, stored = public_cache.stamp_and_get(PUBLIC[request.endpoint], key, locale)
    if stamp is None:
        return None
    g.public_stamp, g.public_key = stamp, key
    if request.if_none_match.contains_weak(stamp):
        return _headers(Response(status=304), stamp)
    if stored is None:
        return None
    made_under, _, rest = stored.partition(b"\n")
    if made_under != stamp.encode():  # kept before a write or in an earlier window: render afresh
        return None
    mimetype, _, body = rest.partition(b"\n")
    if _TOKEN in body:
        body = body.replace(_TOKEN, generate_csrf().encode())
    g.public_cached = True
    return _headers(Response(body, mimetype=mimetype.decode()), stamp)


def _keep_for_others(response: Response) -> Response:
    stamp = g.get("public_stamp")
    if stamp is None or response.status_code != 200 or g.get("public_cached"):
        return response
    if g.get("api_user") is not None or current_user.is_authenticated:  # signed in on the way: not for others
        return response
    body = response.get_data()
    token = g.get("csrf_token")  # the form token this page was rendered with (Flask-WTF keeps it in g)
    if token:
        body = body.replace(token.encode(), _TOKEN)
    try:
        get_redis().set(g.public_key, b"\n".join((stamp.encode(), response.mimetype.encode(), body)),
                        ex=public_cache.WINDOW)
    except Exception:  # the page was rendered; keeping it is only an optimisation
        log.warning("public cache: Redis unavailable", exc_info=True)
    return _headers(response, stamp)
