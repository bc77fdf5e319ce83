"""HTTP security for every response: headers (flask-talisman), proxies, caching, the CSRF secret at login.

- Content-Security-Policy: scripts, styles, frames and connections from this site only (`default-src 'self'`,
  no inline script or style anywhere: behaviour lives in static/js/), nothing may frame a page
  (`frame-ancestors 'none'` and `X-Frame-Options: DENY`). With Stripe configured, Stripe.js's origin
  (from `STRIPE_JS_URL`) is allowed for scripts, frames and connections too, and nothing else.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy` on every response, static files and errors included.
- With `SESSION_COOKIE_SECURE=1` (the site is served over HTTPS): plain HTTP is redirected to HTTPS and
  responses carry HSTS. Never in development or tests, which run on plain HTTP.
- `Cache-Control: no-store` on whatever answers a signed-in user (a web session or an API token), so no
  browser or shared cache keeps a page or a JSON body with someone's money in it; and on every API answer to
  a write, which includes a new token (`POST /api/v1/auth/tokens`, before anyone is signed in).
- `PROXY_FIX_X_*`: werkzeug's ProxyFix, trusting exactly as many proxies per X-Forwarded-* header as
  configured (client address for rate limits, scheme for HTTPS, host for URLs).
- A login drops the session's CSRF secret, so a token anyone read or planted before the login is
  worthless after it (Flask-WTF makes a new one for the next form).
"""
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask_login import current_user, user_logged_in
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

SELF = "'self'"
# Stripe.js itself calls Stripe's API and opens 3-D Secure frames on these hosts (Stripe's CSP guide);
# only when the page loads Stripe's own Stripe.js.
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_COMPANIONS = {"connect-src": ["https://api.stripe.com"], "frame-src": ["https://hooks.stripe.com"]}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config) -> dict:
    policy = {
        "default-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "frame-ancestors": "'none'",
    }
    if config.get("STRIPE_SECRET_KEY"):
        stripe_js = origin(config["STRIPE_JS_URL"])
        for directive in ("script-src", "frame-src", "connect-src"):
            extra = STRIPE_COMPANIONS.get(directive, []) if stripe_js == STRIPE_JS_ORIGIN else []
            policy[directive] = [SELF, stripe_js, *extra]
    return policy


def init_security(app: Flask) -> None:
    secure = bool(app.config["SESSION_COOKIE_SECURE"])
    # One Talisman per app: it keeps its options on itself, and tests build apps with different settings.
    app.extensions["talisman"] = Talisman(
        app,
        content_security_policy=content_security_policy(app.config),
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        force_https=secure,
        strict_transport_security=secure,
        strict_transport_security_include_subdomains=False,  # other hosts of the domain are not ours to pin
        session_cookie_secure=secure,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )
    hops = {f"x_{h}": app.config[f"PROXY_FIX_X_{h.upper()}"] for h in ("for", "proto", "host", "port", "prefix")}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)
    app.after_request(_no_store_when_signed_in)
    user_logged_in.connect(_new_csrf_secret, app)


def _no_store_when_signed_in(response):
    # Static files are the same for everyone, so they stay cacheable.
    if request.endpoint == "static":
        return response
    api_write = request.blueprint == "api" and request.method not in ("GET", "HEAD")
    if api_write or g.get("api_user") is not None or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def _new_csrf_secret(sender, **extra) -> None:
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)
