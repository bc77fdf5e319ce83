"""Security headers on every kind of response, HTTPS only when configured, proxies, trusted hosts, the
CSRF secret renewed at login, the language switch as a POST, and templates free of inline script."""
import re
from pathlib import Path

import pytest

from config import Config
from tests.support.backends import make_app
from tests.support.web import PASSWORD, csrf_token, form_post

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BASE_CSP = "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"


def assert_protected(response):
    """What every response carries, whoever asks and whatever the status."""
    h = response.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "Strict-Transport-Security" not in h  # plain HTTP in development and tests


def test_signed_out_page_has_the_headers_and_may_be_cached(client):
    r = client.get("/tenders")
    assert r.status_code == 200
    assert_protected(r)
    assert r.headers["Content-Security-Policy"] == BASE_CSP  # no Stripe configured: this site only
    assert "no-store" not in r.headers.get("Cache-Control", "")


def test_signed_in_pages_are_never_stored(client, login, make_user):
    login(make_user("brand"))
    for path in ("/account", "/tenders", "/wallet"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert_protected(r)
        assert r.headers["Cache-Control"] == "no-store", path


def test_the_login_answer_itself_is_not_stored(client, make_user):
    r = form_post(client, "/login", {"email": make_user("brand").email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Cache-Control"] == "no-store"


def test_api_answers_to_a_token_are_never_stored(api, make_user):
    brand = api(make_user("brand"))
    r = brand.get("/me")
    assert r.status_code == 200
    assert_protected(r)
    assert r.headers["Cache-Control"] == "no-store"
    public = api().get("/tenders")
    assert public.status_code == 200 and public.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in public.headers.get("Cache-Control", "")


def test_a_new_api_token_is_never_stored(client, make_user):
    r = client.post("/api/v1/auth/tokens", json={"email": make_user("brand").email, "password": PASSWORD})
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store"


def test_static_files_have_the_headers_and_stay_cacheable(client, login, make_user):
    assert_protected(client.get("/static/style.css"))
    login(make_user("brand"))
    r = client.get("/static/js/confirm.js")
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert_protected(r)
    assert "no-store" not in r.headers.get("Cache-Control", "")


def test_errors_have_the_headers(client, api):
    assert_protected(client.get("/no-such-page"))
    assert client.get("/no-such-page").status_code == 404
    r = api().get("/tenders/999999")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    assert_protected(r)


def test_https_and_hsts_only_with_secure_cookies():
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client()
    r = secure.get("/tenders", base_url="https://witkey.test")
    assert r.status_code == 200
    assert r.headers["Strict-Transport-Security"] == "max-age=31556926"
    plain = secure.get("/tenders", base_url="http://witkey.test")
    assert plain.status_code == 302 and plain.headers["Location"] == "https://witkey.test/tenders"

    insecure = make_app(SESSION_COOKIE_SECURE=False).test_client()
    r = insecure.get("/tenders", base_url="https://witkey.test")
    assert r.status_code == 200 and "Strict-Transport-Security" not in r.headers
    assert insecure.get("/tenders", base_url="http://witkey.test").status_code == 200  # no redirect in dev


def test_stripe_js_origin_is_allowed_only_when_stripe_is_configured(app):
    stripe = make_app(STRIPE_SECRET_KEY="sk_test_x", STRIPE_JS_URL="http://127.0.0.1:8420/js.stripe.com/v3/")
    csp = dict(part.split(" ", 1) for part in
               stripe.test_client().get("/tenders").headers["Content-Security-Policy"].split("; "))
    assert csp["default-src"] == "'self'"
    for directive in ("script-src", "frame-src", "connect-src"):
        assert csp[directive] == "'self' http://127.0.0.1:8420", directive
    assert app.test_client().get("/tenders").headers["Content-Security-Policy"] == BASE_CSP


def test_stripe_own_js_brings_the_hosts_stripe_js_talks_to():
    stripe = make_app(STRIPE_SECRET_KEY="sk_test_x", STRIPE_JS_URL="https://js.stripe.com/v3/")
    csp = dict(part.split(" ", 1) for part in
               stripe.test_client().get("/tenders").headers["Content-Security-Policy"].split("; "))
    assert csp["script-src"] == "'self' https://js.stripe.com"
    assert csp["frame-src"] == "'self' https://js.stripe.com https://hooks.stripe.com"
    assert csp["connect-src"] == "'self' https://js.stripe.com https://api.stripe.com"


# --- templates: no inline script, handler or style (the CSP would block them) --------------------------

INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script> block"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "an inline style attribute"),
    (re.compile(r"<style\b", re.I), "an inline <style> block"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            if path.parent.name == "mail" and what == "an inline style attribute":
                continue  # e-mail: mail clients drop <link>ed and <style> CSS, and no CSP applies there
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)
    # the behaviour moved to static files, which exist: every page loads the confirmation script
    static = TEMPLATES.parent / "static"
    loaded = {name for path in TEMPLATES.rglob("*.html")
              for name in re.findall(r"url_for\('static', filename='([^']+\.(?:js|css))'\)", path.read_text())}
    assert "js/confirm.js" in loaded and all((static / name).is_file() for name in loaded), loaded


# --- the language switch ---------------------------------------------------------------------------

def test_language_switch_is_a_post_back_to_the_same_page(client):
    r = form_post(client, "/lang/en", {"next": "/tenders?category=design"}, page="/tenders")
    assert r.status_code == 302 and r.headers["Location"] == "/tenders?category=design"
    assert "Browse tenders" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_language_switch_by_get_changes_nothing(client):
    assert client.get("/lang/en").status_code == 405
    assert "Browse tenders" not in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_language_switch_needs_the_csrf_token(client):
    assert client.post("/lang/en", data={"next": "/"}).status_code == 400
    assert "Browse tenders" not in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", ""])
def test_language_switch_returns_only_to_this_site(client, target):
    r = form_post(client, "/lang/en", {"next": target}, page="/", headers={"Referer": "http://evil.example/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_language_switch_is_kept_on_the_account(client, login, make_user, app):
    user = make_user("brand")
    login(user)
    form_post(client, "/lang/en", {"next": "/account"}, page="/account")
    other = app.test_client()
    form_post(other, "/login", {"email": user.email, "password": PASSWORD})
    assert "Browse tenders" in other.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)


def test_the_header_offers_the_switch_as_a_form(client):
    html = client.get("/tenders").get_data(as_text=True)
    form = re.search(r'<form method="post"[^>]*data-testid="language"[^>]*>(.*?)</form>', html, re.S).group(1)
    assert 'name="csrf_token"' in form and 'name="next" value="/tenders"' in form
    assert 'formaction="/lang/en"' in form and 'formaction="/lang/zh_CN"' in form


# --- the CSRF secret is renewed at login ------------------------------------------------------------

def test_a_csrf_token_from_before_login_is_refused_after_it(client, make_user):
    user = make_user("brand")
    before = csrf_token(client, "/login")
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert r.status_code == 302
    # the same token a planted or leaked page held: refused now, the signed-in page's own token works
    assert client.post("/lang/en", data={"next": "/", "csrf_token": before}).status_code == 400
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/account").status_code == 200  # still signed in
    after = csrf_token(client, "/account")
    assert after != before
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


# --- hosts and proxies ------------------------------------------------------------------------------

def test_only_trusted_hosts_are_served():
    client = make_app(TRUSTED_HOSTS=["witkey.test", ".witkey.example"]).test_client()
    assert client.get("/tenders", headers={"Host": "witkey.test"}).status_code == 200
    assert client.get("/tenders", headers={"Host": "www.witkey.example"}).status_code == 200
    refused = client.get("/tenders", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert_protected(refused)
    api = client.get("/api/v1/tenders", headers={"Host": "evil.example"})
    assert api.status_code == 400 and api.json["error"]["code"] == "bad_request"


def test_behind_a_proxy_the_forwarded_client_address_is_limited(app):
    """With PROXY_FIX_X_FOR=1 each client behind the proxy has its own login limit; without it, every
    request would count against the proxy's one address."""
    def attempts(client, address):
        token = csrf_token(client, "/login")
        return client.post("/login", data={"email": "x@example.com", "password": "whatever pw", "csrf_token": token},
                           headers={"X-Forwarded-For": address}).status_code

    proxied = make_app(LOGIN_RATE_LIMIT="2 per minute", PROXY_FIX_X_FOR=1)
    one, two = proxied.test_client(), proxied.test_client()
    assert [attempts(one, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert attempts(two, "198.51.100.9") == 200

    direct = make_app(LOGIN_RATE_LIMIT="2 per minute")
    one, two = direct.test_client(), direct.test_client()
    assert [attempts(one, "203.0.113.8") for _ in range(2)] == [200, 200]
    assert attempts(two, "198.51.100.10") == 429  # the header is not trusted: same address


def test_behind_a_proxy_the_forwarded_host_is_the_one_checked():
    forwarded = {"X-Forwarded-Host": "witkey.example"}
    proxied = make_app(PROXY_FIX_X_HOST=1, TRUSTED_HOSTS=["witkey.example"]).test_client()
    assert proxied.get("/tenders", base_url="http://10.0.0.5", headers=forwarded).status_code == 200
    direct = make_app(TRUSTED_HOSTS=["witkey.example"]).test_client()
    assert direct.get("/tenders", base_url="http://10.0.0.5", headers=forwarded).status_code == 400


def test_proxy_and_host_settings_are_validated(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("PROXY_FIX_X_FOR", "1")
    monkeypatch.setenv("TRUSTED_HOSTS", "witkey.example, .witkey.example")
    config = Config(str(tmp_path))
    assert (config.PROXY_FIX_X_FOR, config.PROXY_FIX_X_PROTO) == (1, 0)
    assert config.TRUSTED_HOSTS == ["witkey.example", ".witkey.example"]
    for name, value in (("PROXY_FIX_X_FOR", "-1"), ("PROXY_FIX_X_PROTO", "one"), ("TRUSTED_HOSTS", " , "),
                        ("TRUSTED_HOSTS", "https://witkey.example/")):
        monkeypatch.setenv(name, value)
        with pytest.raises(RuntimeError, match=name):
            Config(str(tmp_path))
        monkeypatch.delenv(name)
    assert Config(str(tmp_path)).TRUSTED_HOSTS is None  # unset: Flask checks no host
