"""Stored destinations turned into URLs when they are read, for the web pages and the API alike.

A notification keeps an endpoint and its route's arguments (see `services.destinations`), not a
path. If the endpoint no longer builds (a route renamed or removed since the row was written), the
notification simply leads nowhere and a warning is logged: reading one's notifications never fails.
"""
from urllib.parse import urlsplit

from flask import current_app, url_for
from werkzeug.routing import BuildError

from models import Notification


def notification_link(row: Notification) -> str:
    """The notification's URL (a path with its fragment), or "" when it leads nowhere."""
    if not row.endpoint:
        return ""
    try:
        return url_for(row.endpoint, **(row.url_args or {}), _anchor=row.anchor or None)
    except (BuildError, ValueError, TypeError) as exc:
        current_app.logger.warning("notification %s: %s %r no longer builds a URL (%s)", row.id, row.endpoint,
                                   row.url_args, exc)
        return ""


def public_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """An absolute URL on PUBLIC_URL, for e-mail (a template global): never built from the Host header
    of the request that caused the mail, which a client chooses. "" when the endpoint no longer builds."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    try:
        url = adapter.build(endpoint, values, force_external=True)
    except (BuildError, ValueError, TypeError) as exc:
        current_app.logger.warning("e-mail link %s %r does not build (%s)", endpoint, values, exc)
        return ""
    return f"{url}#{_anchor}" if _anchor else url


def split_link(line: str) -> tuple[str, str]:
    """A shared link as people paste it, "https://pan.baidu.com/s/1AbC 提取码 x7k2": (the address, what
    follows it). Only the address becomes the link; the extraction code stays beside it as text."""
    url, _space, rest = (line or "").strip().partition(" ")
    if "\u3000" in url:  # a full-width space after the address, as Chinese input methods type it
        url, _space, more = url.partition("\u3000")
        rest = f"{more} {rest}".strip()
    return url, rest.strip()
