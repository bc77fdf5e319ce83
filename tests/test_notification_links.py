"""Notifications store an endpoint and its route's arguments; the URL is built only when they are read."""
import importlib.util
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import url_for
from flask_migrate import downgrade, upgrade

from blueprints.links import notification_link
from extensions import db, migrate
from models import Notification
from models.types import UTCDateTime
from services import destinations, notifications
from tests.support.web import form_post

MIGRATION = "1838546a4051"


def test_every_notification_destination_builds_with_exactly_its_routes_arguments(app):
    """A route renamed, removed or given other parameters fails here, not when a reader clicks."""
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    with app.test_request_context():
        for endpoint, params in destinations.ENDPOINTS.items():
            assert endpoint in rules, f"{endpoint} is no longer a route"
            assert rules[endpoint].arguments == set(params), endpoint
            assert "GET" in rules[endpoint].methods, endpoint
            assert url_for(endpoint, **dict.fromkeys(params, 7)).startswith("/")


def test_the_destination_helpers_point_where_the_old_paths_did(app):
    expected = [
        (destinations.tender(3), "/tenders/3"),
        (destinations.tender(3, "questions"), "/tenders/3#questions"),
        (destinations.tender(3, "addenda"), "/tenders/3#addenda"),
        (destinations.evaluation(3), "/tenders/3/evaluate"),
        (destinations.contract(5), "/contracts/5"),
        (destinations.contract(5, "kpis"), "/contracts/5#kpis"),
        (destinations.contract(5, "reviews"), "/contracts/5#reviews"),
        (destinations.milestone(5, 12), "/contracts/5#milestone-12"),
        (destinations.review(5, 9), "/contracts/5#review-9"),
        (destinations.dispute(4), "/disputes/4"),
        (destinations.provider(8, "reviews"), "/providers/8#reviews"),
        (destinations.PAYOUTS, "/payouts"),
        (destinations.WALLET, "/wallet"),
        (destinations.PROFILE, "/account/profile"),
    ]
    with app.test_request_context():
        for to, path in expected:
            row = Notification(id=1, endpoint=to.endpoint, url_args=dict(to.args), anchor=to.anchor)
            assert notification_link(row) == path


def test_a_destination_must_be_a_known_endpoint_with_its_arguments():
    with pytest.raises(ValueError):
        destinations.Destination("tenders.nowhere", {"tender_id": 1})
    with pytest.raises(ValueError):
        destinations.Destination("tenders.detail", {"id": 1})
    with pytest.raises(ValueError):
        destinations.Destination("wallet.index", {"user_id": 1})


def test_notify_stores_the_endpoint_not_a_path(app, make_user, ctx):
    user = make_user("provider")
    [row] = notifications.notify([user.id], "kpi_recorded", to=destinations.contract(5, "kpis"), kpi="x",
                                 milestone="y")
    assert (row.endpoint, row.url_args, row.anchor, row.params) == (
        "contracts.detail", {"contract_id": 5}, "kpis", {"kpi": "x", "milestone": "y"})
    [nowhere] = notifications.notify([user.id], "provider_verified")
    assert (nowhere.endpoint, nowhere.url_args, nowhere.anchor) == (None, {}, None)
    with pytest.raises(TypeError):
        notifications.notify([user.id], "payout_paid", link="/payouts")


def _store(app, user_id: int, **where) -> int:
    with app.app_context():
        row = Notification(user_id=user_id, kind="payout_paid", params={"amount": 100, "currency": "CNY"}, **where)
        db.session.add(row)
        db.session.commit()
        return row.id


def test_an_endpoint_that_no_longer_builds_leads_nowhere_with_a_warning_never_a_500(app, make_user, api, caplog):
    user = make_user("provider")
    stale = _store(app, user.id, endpoint="payouts.gone", url_args={}, anchor=None)
    wrong_args = _store(app, user.id, endpoint="contracts.detail", url_args={"id": 3}, anchor=None)
    with caplog.at_level(logging.WARNING):
        r = api(user).get("/notifications")
    assert r.status_code == 200
    assert {item["id"]: item["link"] for item in r.json["items"]} == {stale: "", wrong_args: ""}
    assert "payouts.gone" in caplog.text and "contracts.detail" in caplog.text


def test_the_web_page_opens_such_a_notification_at_home(app, make_user, client, login):
    user = make_user("provider")
    stale = _store(app, user.id, endpoint="payouts.gone", url_args={}, anchor=None)
    login(user)
    assert client.get("/notifications").status_code == 200
    opened = form_post(client, f"/notifications/{stale}/open", {}, page="/notifications")
    assert opened.status_code == 302 and opened.headers["Location"] in ("/", "http://witkey.test/")


def test_the_api_gives_the_link_as_before(app, make_user, api):
    user = make_user("provider")
    _store(app, user.id, endpoint="contracts.detail", url_args={"contract_id": 5}, anchor="milestone-12")
    _store(app, user.id, endpoint=None, url_args={}, anchor=None)
    assert [n["link"] for n in api(user).get("/notifications").json["items"]] == ["", "/contracts/5#milestone-12"]


def test_reading_the_list_takes_the_same_queries_for_few_or_many(app, make_user, api):
    user = make_user("provider")
    reader = api(user)

    def queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert reader.get("/notifications?per_page=50").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    for i in range(2):
        _store(app, user.id, endpoint="tenders.detail", url_args={"tender_id": i + 1}, anchor=None)
    queries()  # the token's first use is recorded once
    few = queries()
    for i in range(30):
        _store(app, user.id, endpoint="contracts.detail", url_args={"contract_id": i + 1}, anchor=f"milestone-{i}")
    assert queries() == few


# --- the migration -------------------------------------------------------------------------------

OLD_LINKS = {  # every path the services wrote before the migration → (endpoint, url_args, anchor)
    "/tenders/11": ("tenders.detail", {"tender_id": 11}, None),
    "/tenders/11/evaluate": ("evaluation.board", {"tender_id": 11}, None),
    "/tenders/11#questions": ("tenders.detail", {"tender_id": 11}, "questions"),
    "/tenders/11#addenda": ("tenders.detail", {"tender_id": 11}, "addenda"),
    "/contracts/21": ("contracts.detail", {"contract_id": 21}, None),
    "/contracts/21#milestone-31": ("contracts.detail", {"contract_id": 21}, "milestone-31"),
    "/contracts/21#kpis": ("contracts.detail", {"contract_id": 21}, "kpis"),
    "/contracts/21#reviews": ("contracts.detail", {"contract_id": 21}, "reviews"),
    "/contracts/21#review-41": ("contracts.detail", {"contract_id": 21}, "review-41"),
    "/disputes/51": ("disputes.detail", {"dispute_id": 51}, None),
    "/providers/61#reviews": ("providers.detail", {"provider_id": 61}, "reviews"),
    "/payouts": ("payouts.index", {}, None),
    "/wallet": ("wallet.index", {}, None),
    "/account/profile": ("account.profile", {}, None),
}
UNKNOWN_LINKS = ["", "/somewhere/else", "https://evil.example/", "//evil.example/x", "/tenders/abc",
                 "/contracts/21#bad fragment"]


def test_the_migration_turns_every_old_link_into_an_endpoint_and_back(app, make_user):
    user = make_user("brand")
    with app.app_context():
        before = ScriptDirectory.from_config(migrate.get_config()).get_revision(MIGRATION).down_revision
        old = sa.table("notifications", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer),
                       sa.column("kind", sa.String), sa.column("params", sa.JSON), sa.column("link", sa.String),
                       sa.column("created_at", UTCDateTime()))
        new = sa.table("notifications", sa.column("id", sa.Integer), sa.column("endpoint", sa.String),
                       sa.column("url_args", sa.JSON), sa.column("anchor", sa.String))
        links = [*OLD_LINKS, *UNKNOWN_LINKS]
        db.session.remove()
        try:
            downgrade(revision=before)
            with db.engine.begin() as conn:
                conn.execute(old.insert(), [
                    {"id": i + 1, "user_id": user.id, "kind": "payout_paid", "params": {"n": i}, "link": link,
                     "created_at": datetime.now(UTC)} for i, link in enumerate(links)])
            upgrade(revision=MIGRATION)
            with db.engine.connect() as conn:
                rows = {row.id: (row.endpoint, row.url_args, row.anchor)
                        for row in conn.execute(sa.select(new).order_by(new.c.id))}
            assert [rows[i + 1] for i in range(len(links))] == [
                *OLD_LINKS.values(), *[(None, {}, None)] * len(UNKNOWN_LINKS)]

            downgrade(revision=before)  # the paths come back; what led nowhere stays empty
            with db.engine.connect() as conn:
                back = dict(conn.execute(sa.select(old.c.id, old.c.link)).all())
            assert [back[i + 1] for i in range(len(links))] == [*OLD_LINKS, *[""] * len(UNKNOWN_LINKS)]
        finally:
            upgrade()


def test_every_link_in_the_previous_releases_demo_data_comes_back_the_same(app):
    """The demo as the previous release stored it: each link parses, and url_for builds it back unchanged."""
    path = next(Path(app.root_path, "migrations", "versions").glob(f"{MIGRATION}_*.py"))
    spec = importlib.util.spec_from_file_location("notification_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    dump = json.loads((Path(__file__).parent / "data" / "demo_at_10d48fb658f7.json").read_text())
    links = {row["link"] for row in dump["tables"]["notifications"]}
    assert len(links) > 20
    with app.test_request_context():
        for link in links:
            endpoint, url_args, anchor = migration.parse(link)
            assert endpoint, link
            assert notification_link(Notification(id=1, endpoint=endpoint, url_args=url_args, anchor=anchor)) == link
