"""Which statements a read replica answers (db_routing.py), on any backend: here the "replica" is a
second engine on this process's own database, so the answers are the same and only the statement
counts per engine tell the routes apart. The real thing — a streaming standby that lags — is in
tests/test_scale_out.py."""
import contextlib

import pytest
from sqlalchemy import event, select

import db_routing
from extensions import db
from models import User
from tests.support.backends import TEST_CONFIG, make_app
from tests.support.factories import tender_payload
from tests.support.web import PASSWORD, finish_login, form_post


class Counts:
    def __init__(self, app):
        with app.app_context():
            self.engines = {"primary": db.engine, "replica": db_routing.replica_engine(app)}
        self.seen = dict.fromkeys(self.engines, 0)
        for name, engine in self.engines.items():
            event.listen(engine, "before_cursor_execute", self._counter(name))

    def _counter(self, name):
        def count(*_args):
            self.seen[name] += 1
        return count

    @contextlib.contextmanager
    def during(self):
        self.seen = dict.fromkeys(self.engines, 0)
        yield self.seen


@pytest.fixture
def routed(app):
    """An app whose replica is its own database again, and its statement counter."""
    routed = make_app(DATABASE_REPLICA_URL=TEST_CONFIG["SQLALCHEMY_DATABASE_URI"])
    counts = Counts(routed)
    yield routed, counts
    db_routing.replica_engine(routed).dispose()


def _token(client, user) -> str:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return response.json["token"]


def test_anonymous_public_reads_come_from_the_replica(routed, make_user, contest_race):
    app, counts = routed
    contest_id = contest_race(n_providers=0).contest_id
    client = app.test_client()
    brand, provider = make_user("brand"), make_user("provider")
    token = _token(client, brand)
    tender = client.post("/api/v1/tenders", json=tender_payload(), headers={"Authorization": f"Bearer {token}"})
    assert tender.status_code == 201, tender.json
    tender_id = tender.json["id"]
    anonymous = app.test_client()
    for path in ("/api/v1/tenders", f"/api/v1/tenders/{tender_id}", "/tenders", f"/tenders/{tender_id}",
                 "/api/v1/providers", f"/api/v1/providers/{provider.id}", "/providers", f"/providers/{provider.id}",
                 "/contests", f"/contests/{contest_id}", f"/api/v1/contests/{contest_id}"):
        with counts.during() as seen:
            response = anonymous.get(path)
        assert response.status_code == 200, path
        assert seen["replica"] > 0 and seen["primary"] == 0, (path, seen)


def test_writes_signed_in_reads_and_other_pages_stay_on_the_primary(routed, make_user):
    app, counts = routed
    client = app.test_client()
    brand = make_user("brand")
    token = _token(client, brand)
    bearer = {"Authorization": f"Bearer {token}"}
    with counts.during() as seen:
        created = client.post("/api/v1/tenders", json=tender_payload(), headers=bearer)
    assert created.status_code == 201
    assert seen["replica"] == 0 and seen["primary"] > 0
    for path in ("/api/v1/tenders", f"/api/v1/tenders/{created.json['id']}"):  # the same reads, with a token
        with counts.during() as seen:
            assert client.get(path, headers=bearer).status_code == 200
        assert seen == {"primary": seen["primary"], "replica": 0} and seen["primary"] > 0, path
    web = app.test_client()
    assert finish_login(web, form_post(web, "/login", {"email": brand.email, "password": PASSWORD}),
                        brand.email).status_code == 302
    for path in ("/tenders", f"/tenders/{created.json['id']}"):  # the same pages, signed in
        with counts.during() as seen:
            assert web.get(path).status_code == 200
        assert seen["replica"] == 0 and seen["primary"] > 0, path
    with counts.during() as seen:  # an anonymous page that is not a public read (a sign-in form)
        assert app.test_client().get("/login").status_code == 200
    assert seen["replica"] == 0


def test_a_session_that_wrote_or_locks_reads_the_primary(routed, make_user):
    app, counts = routed
    user = make_user("brand")
    with app.test_request_context("/tenders"):
        app.preprocess_request()  # an anonymous GET of the tender hall: a public read
        with counts.during() as seen:
            db.session.scalar(select(User).where(User.id == user.id))
        assert seen == {"primary": 0, "replica": 1}
        with counts.during() as seen:  # a lock is taken where the rows are written
            db.session.scalar(select(User.id).where(User.id == user.id).with_for_update())
        assert seen["replica"] == 0
        db.session.rollback()
        found = db.session.get(User, user.id)
        found.display_name = "Renamed"
        db.session.flush()
        with counts.during() as seen:  # after a flush: its own writes, on the primary
            assert db.session.scalar(select(User.display_name).where(User.id == user.id)) == "Renamed"
        assert seen["replica"] == 0
        db.session.rollback()
        db.session.remove()


def test_without_a_replica_there_is_one_engine(app):
    assert app.config["DATABASE_REPLICA_URL"] is None
    assert db_routing.replica_engine(app) is None


def test_with_a_replica_public_pages_are_neither_kept_nor_stamped(routed, make_user):
    """A lagging replica's page must not be kept (or 304'd) under the version the primary's write set."""
    app, counts = routed
    client = app.test_client()
    for _ in range(2):
        with counts.during() as seen:
            response = client.get("/api/v1/tenders")
        assert response.status_code == 200 and response.headers.get("ETag") is None
        assert seen["replica"] >= 1  # rendered from the replica each time, never from a stored page
