"""Fixtures: one database and one Redis per test process (see tests/support/backends.py), emptied
before every test. Helpers that tests import live in tests/support/, never here."""
import contextlib
import itertools
import socket

import pytest
import redis
from flask_migrate import upgrade

from extensions import db as _db
from services import accounts, two_factor
from tests.support import backends
from tests.support.backends import empty_database, make_app
from tests.support.web import PASSWORD, TOTP_SECRET, Api, finish_login, form_post, otp_for

pytest_plugins = ["tests.support.browser", "tests.support.bidding_fixtures", "tests.support.stripe_fixtures",
                  "tests.support.payout_fixtures", "tests.support.tiers", "tests.support.smtp",
                  "tests.support.demo_data", "tests.support.api_coverage",
                  "tests.support.contests"]


def pytest_configure(config):
    # The xdist controller only hands out tests: it needs no database or Redis of its own.
    if getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput"):
        return
    backends.start()


@pytest.fixture(scope="session")
def app():
    app = make_app()
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
    return app


@pytest.fixture(autouse=True)
def _clean(request, app):
    """Every test starts on an empty database, except those marked `shared_data`: they only read what
    a module-scoped fixture wrote once (that fixture empties the database before writing)."""
    if request.node.get_closest_marker("shared_data") is None:
        empty_database(app)


@pytest.fixture
def ctx(app):
    """An app context for calling services directly; the session is removed afterwards."""
    with app.test_request_context():
        yield
        _db.session.rollback()
        _db.session.remove()


@pytest.fixture
def redis_down(app):
    """with redis_down(): the app's Redis is a server that is not there (a closed port), as in an outage;
    afterwards the real one is back."""

    @contextlib.contextmanager
    def outage():
        real = app.extensions["redis"]
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        app.extensions["redis"] = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
        try:
            yield
        finally:
            app.extensions["redis"] = real

    return outage


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -----------------------------------------------------------------------------------

_seq = itertools.count(1)


@pytest.fixture
def make_user(app):
    """make_user("brand") → a committed User (detached-safe: read attributes freely). Its e-mail address
    is verified, as if its owner had followed the mailed link; make_user(..., verified=False) leaves it
    unverified. Staff are enrolled in two-factor sign-in on TOTP_SECRET (without it they can only enrol);
    make_user("admin", totp=False) leaves one unenrolled, make_user("provider", totp=True) enrols anyone."""

    def factory(role: str = "brand", **fields):
        n = next(_seq)
        email = fields.pop("email", f"{role}{n}@example.com")
        verified = fields.pop("verified", True)
        totp = fields.pop("totp", role == "admin")
        with app.app_context():
            if role == "admin":
                user = accounts.create_admin(email=email, password=PASSWORD)
            else:
                user = accounts.register(email=email, password=PASSWORD, role=role, email_verified=verified,
                                         display_name=fields.pop("display_name", f"{role.title()} {n}"))
            if totp:
                _db.session.flush()
                two_factor.enrol_with_secret(user, TOTP_SECRET)
            _db.session.commit()
            _db.session.refresh(user)
            _db.session.expunge(user)
        return user

    return factory


@pytest.fixture
def api(app, client):
    """api(user) → an Api with a fresh token for that user; api() → anonymous."""

    def factory(user=None):
        if user is None:
            return Api(client, None)
        body = {"email": user.email, "password": PASSWORD}
        if (otp := otp_for(app, user.email)) is not None:  # staff, and users who enrolled
            body["otp"] = otp
        response = client.post("/api/v1/auth/tokens", json=body)
        assert response.status_code == 201, response.json
        return Api(client, response.json["token"])

    return factory


@pytest.fixture
def login(client):
    def do(user):
        response = finish_login(client, form_post(client, "/login", {"email": user.email, "password": PASSWORD}),
                                user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do
