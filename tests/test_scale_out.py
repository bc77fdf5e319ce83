"""Scale-out with real engines: a streaming read replica for the public reads, and web instances that
keep no state of their own.

- test_public_reads_come_from_a_streaming_replica: a PostgreSQL primary and a hot standby made from it
  with `pg_basebackup -R`, each a cluster of its own on a spare port (faults/cluster.py; initdb runs
  as the postgres user when we are root). The app runs with DATABASE_URL on the primary and
  DATABASE_REPLICA_URL on the standby (db_routing.py). With the standby's replay paused, a tender
  posted on the primary is missing from the anonymous tender list and found by its signed-in brand;
  once replay resumes, it is listed. Statements are counted per engine: anonymous public reads reach
  only the standby; writes and signed-in reads never do.
- test_two_web_instances_and_three_workers_share_nothing_but_the_servers: two gunicorn instances and
  three `flask worker` processes on one PostgreSQL database and one Redis; a whole contract is driven
  through the API with every request going to the other instance than the one before, a browser
  session made on one instance is used on the other, and a file uploaded through one is downloaded
  through the other (one instance directory: the shared volume). The jobs the contract causes (outbox
  pushes, webhook deliveries, the rating recompute, image derivatives) run on whichever worker takes
  them; the money ends where the ledger says and the ledger reconciles. Each worker is a plain `flask
  worker` on every named queue of RQ_QUEUES (default, periodic, mail, documents). No scheduler runs: the jobs are
  pushed right after their commit (the outbox) or nudged (ratings); `flask cron` only sweeps up after
  lost pushes, which this test does not cause.

Both start servers of their own, so they run in the suite's PostgreSQL pass only (marked `postgres`
with that reason; on the embedded default they are skipped saying so). `make test` with
DATABASE_URL=postgresql://… runs them, and so does:

    DATABASE_URL=postgresql://root@127.0.0.1:5432/x REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/pytest -p no:xdist tests/test_scale_out.py
"""
import contextlib
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import psycopg
import pyotp
import pytest
import requests
from flask_migrate import upgrade
from rq.registry import FinishedJobRegistry
from rq.worker import Worker
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

import db_routing
from extensions import db, get_redis
from faults.cluster import Postgres, Redis, _as_postgres, _pg_bin, free_port
from faults.stack import app_env, stop_all
from models import OutboxJob
from services import accounts, two_factor
from tests.support.backends import TEST_CONFIG, fresh_database, make_app, restore_limiter
from tests.support.factories import bid_payload, tender_payload
from tests.support.images import photo
from tests.support.web import CSRF, PASSWORD
from tests.support.webhook_receiver import Receiver

OWN_SERVERS = ("starts PostgreSQL clusters / app servers of its own beside the suite's: run once, in the "
               "suite's PostgreSQL pass (DATABASE_URL=postgresql://…)")
pytestmark = [pytest.mark.postgres(reason=OWN_SERVERS), pytest.mark.live]
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def wait_until(condition, seconds: float = 30, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.fixture
def scratch():
    base = Path(tempfile.mkdtemp(prefix="witkey-scale-"))
    base.chmod(0o755)  # the postgres user runs clusters below it
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _party(role: str, email: str) -> tuple[int, str]:
    if role == "admin":
        user = accounts.create_admin(email=email, password=PASSWORD)
        db.session.flush()
        two_factor.enrol_with_secret(user, pyotp.random_base32())  # staff act only with two factors
    else:
        user = accounts.register(email=email, password=PASSWORD, role=role, display_name=email.partition("@")[0],
                                 email_verified=True)
    token, _row = accounts.issue_token(user, "scale-out test")
    db.session.flush()
    return user.id, token


# --- (a) the read replica ------------------------------------------------------------------------------


@pytest.fixture
def primary_and_standby(scratch):
    primary = Postgres(scratch / "primary")
    standby = Postgres(scratch / "standby", database=primary.database)
    try:
        primary.init()  # initdb's pg_hba trusts replication from 127.0.0.1; its -U user is a superuser
        standby.base.mkdir()
        if os.geteuid() == 0:
            shutil.chown(standby.base, "postgres", "postgres")
        # -R: a standby that follows the primary; a fast checkpoint, not a spread one (minutes)
        subprocess.run(_as_postgres([_pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),  # noqa: S603
                                     "-U", primary.user, "-D", str(standby.data), "-R", "-X", "stream",
                                     "--no-sync", "--checkpoint=fast"]),
                       check=True, capture_output=True, timeout=120)
        with (standby.data / "postgresql.conf").open("a") as conf:  # the copy says the primary's port
            conf.write(f"\nport = {standby.port}\nunix_socket_directories = '{standby.base}'\nhot_standby = on\n")
        standby.start()
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()


def _sql(server: Postgres, statement: str):
    with psycopg.connect(server.url, autocommit=True) as conn:
        return conn.execute(statement).fetchone()[0]


@pytest.fixture(autouse=True)
def _limiter_back():
    """These tests make apps on servers of their own, which re-points the shared rate limiter."""
    yield
    restore_limiter()


def test_public_reads_come_from_a_streaming_replica(primary_and_standby, scratch):
    primary, standby = primary_and_standby
    assert _sql(primary, "SHOW wal_level") in ("replica", "logical")
    assert _sql(standby, "SELECT pg_is_in_recovery()") is True
    app = make_app(SQLALCHEMY_DATABASE_URI=primary.url, DATABASE_REPLICA_URL=standby.url,
                   INSTANCE_PATH=str(scratch / "instance"), UPLOAD_DIR=str(scratch / "uploads"))
    counts = {"primary": 0, "replica": 0}
    with app.app_context():
        upgrade()
        engines = {"primary": db.engine, "replica": db_routing.replica_engine(app)}
        brand_id, token = _party("brand", "replica-brand@example.com")
        db.session.commit()
    for name, engine in engines.items():
        event.listen(engine, "before_cursor_execute", lambda *_a, name=name: counts.__setitem__(name, counts[name] + 1))

    def counted(call):
        counts.update(primary=0, replica=0)
        response = call()
        return response, dict(counts)

    try:
        client, anonymous = app.test_client(), app.test_client()
        bearer = {"Authorization": f"Bearer {token}"}

        def listed(tender_id: int) -> bool:
            response, seen = counted(lambda: anonymous.get("/api/v1/tenders?per_page=100"))
            assert response.status_code == 200
            assert seen["replica"] > 0 and seen["primary"] == 0, seen  # answered by the standby alone
            return tender_id in [t["id"] for t in response.json["items"]]

        first, seen = counted(lambda: client.post("/api/v1/tenders", json=tender_payload(title="Replicated first"),
                                                  headers=bearer))
        assert first.status_code == 201, first.json
        assert seen["replica"] == 0 and seen["primary"] > 0
        wait_until(lambda: listed(first.json["id"]), what="the standby replays the first tender")

        _sql(standby, "SELECT pg_wal_replay_pause()")
        wait_until(lambda: _sql(standby, "SELECT pg_get_wal_replay_pause_state()") == "paused", what="replay paused")
        second = client.post("/api/v1/tenders", json=tender_payload(title="Written while replay is paused"),
                             headers=bearer)
        assert second.status_code == 201, second.json
        second_id = second.json["id"]
        time.sleep(0.5)  # (were replay still running, this is ample for it to show)
        assert not listed(second_id)
        response, seen = counted(lambda: anonymous.get(f"/api/v1/tenders/{second_id}"))
        assert response.status_code == 404 and seen["primary"] == 0, seen
        page, seen = counted(lambda: anonymous.get("/tenders"))
        assert "Replicated first" in page.get_data(as_text=True)
        assert "Written while replay is paused" not in page.get_data(as_text=True)
        assert seen["replica"] > 0 and seen["primary"] == 0, seen

        # the brand signed in reads its own writes: from the primary, never the standby
        own, seen = counted(lambda: client.get(f"/api/v1/tenders/{second_id}", headers=bearer))
        assert own.status_code == 200 and seen["replica"] == 0, seen
        web = app.test_client()
        csrf = CSRF.search(web.get("/login").get_data(as_text=True))
        signed = web.post("/login", data={"email": "replica-brand@example.com", "password": PASSWORD,
                                          "csrf_token": csrf.group(1) or csrf.group(2)})
        assert signed.status_code == 302
        for path in ("/tenders/mine", "/tenders", f"/tenders/{second_id}"):
            page, seen = counted(lambda path=path: web.get(path))
            assert page.status_code == 200, path
            assert "Written while replay is paused" in page.get_data(as_text=True), path
            assert seen["replica"] == 0 and seen["primary"] > 0, (path, seen)

        _sql(standby, "SELECT pg_wal_replay_resume()")
        wait_until(lambda: listed(second_id), what="the standby replays the second tender once resumed")
        assert anonymous.get(f"/api/v1/tenders/{second_id}").status_code == 200
    finally:
        with app.app_context():
            db.session.remove()
            for engine in engines.values():
                engine.dispose()


# --- (b) stateless web instances, workers anywhere ----------------------------------------------------


class Processes:
    """Processes started here, each in its own session; stopped with everything they started."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.roots = env, log, []

    def start(self, command: list[str], **env: str) -> subprocess.Popen:
        with self.log.open("a") as log:
            process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **env}, stdout=log,  # noqa: S603
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.roots.append(process)
        return process

    def stop(self) -> None:
        stop_all(self.roots, grace=15)


class Parties(NamedTuple):
    brand: str  # API tokens
    provider: str
    staff: str
    brand_id: int
    provider_id: int


class Alternating:
    """Each request to the other instance than the one before; counts what each answered."""

    def __init__(self, urls: list[str]):
        self.urls, self.turn = urls, itertools.cycle(urls)
        self.answered = dict.fromkeys(urls, 0)

    def __call__(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw):
        base = next(self.turn)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, f"{base}/api/v1{path}", headers=headers, timeout=30, **kw)
        assert response.status_code == expect, (method, path, base, response.status_code, response.text[:500])
        self.answered[base] += 1
        return response


@pytest.fixture
def shared_servers(scratch):
    """A fresh database on the suite's PostgreSQL server and a Redis of its own on a spare port."""
    url = make_url(TEST_CONFIG["SQLALCHEMY_DATABASE_URI"])
    name = f"{url.database}_scale"
    database = fresh_database(url, name)
    redis_server = Redis(scratch)
    redis_server.start()
    try:
        yield database, redis_server.url
    finally:
        redis_server.stop(kill=True)
        fresh_database(url, name, drop=True)


def test_two_web_instances_and_three_workers_share_nothing_but_the_servers(shared_servers, scratch):
    database, redis_url = shared_servers
    receiver = Receiver().start()
    ports = [free_port(), free_port()]
    # one WITKEY_INSTANCE (scratch/instance, uploads below it) for every process: the shared volume
    env = {**app_env(database, redis_url, scratch, ports[0]), "WEBHOOK_ALLOW_PRIVATE": "1"}
    app = make_app(SQLALCHEMY_DATABASE_URI=database, REDIS_URL=redis_url, INSTANCE_PATH=env["WITKEY_INSTANCE"],
                   UPLOAD_DIR=str(scratch / "instance" / "uploads"), SECRET_KEY=env["SECRET_KEY"])
    with app.app_context():
        upgrade()
        (brand_id, brand), (provider_id, provider), (_staff_id, staff) = (
            _party(role, f"{role}-scale@example.com") for role in ("brand", "provider", "admin"))
        db.session.commit()
    processes = Processes(env, scratch / "processes.log")
    try:
        for name, port in zip("AB", ports, strict=True):
            processes.start([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "app:create_app()"],
                            PORT=str(port), GUNICORN_CMD_ARGS=f"--workers 1 --timeout 30 --graceful-timeout 5 "
                                                              f"--control-socket {scratch / f'gunicorn-{name}.ctl'}")
        for _ in range(3):
            processes.start([str(BIN / "flask"), "worker"])
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url in urls:
            wait_until(lambda url=url: _answers(url), 60, f"{url} answers")
        with app.app_context():
            wait_until(lambda: len(Worker.all(connection=get_redis())) == 3, 60, "three workers registered")
        call = Alternating(urls)
        _drive_a_contract(call, Parties(brand, provider, staff, brand_id, provider_id), receiver, app)
        reconcile = subprocess.run([str(BIN / "flask"), "finance", "reconcile"], cwd=ROOT, env=env, check=False,  # noqa: S603
                                   capture_output=True, text=True, timeout=120)
        assert reconcile.returncode == 0, reconcile.stdout[-2000:] + reconcile.stderr[-2000:]
        assert all(count >= 5 for count in call.answered.values()), call.answered
        _web_session_travels(urls)
    except BaseException:
        print((scratch / "processes.log").read_text()[-6000:])
        raise
    finally:
        processes.stop()
        receiver.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _answers(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url + "/api/v1/tenders?per_page=1", timeout=2).status_code == 200
    return False


def _drive_a_contract(call: Alternating, parties: Parties, receiver: Receiver, app) -> None:
    brand, provider, staff = parties.brand, parties.provider, parties.staff
    brand_id, provider_id = parties.brand_id, parties.provider_id
    hook = call("POST", "/webhooks", brand, 201, json={"url": receiver.url, "events": ["*"]}).json()
    tender = call("POST", "/tenders", brand, 201, json=tender_payload(rounds=["proposal"], kpis=[])).json()
    amount = 120000_00
    bid = call("POST", f"/tenders/{tender['id']}/bids", provider, 201, json=bid_payload(
        amount, milestones=[{"title": "All of it", "amount": amount, "due_days": 30}])).json()
    picture = photo(size=(80, 40))
    attached = call("POST", f"/bids/{bid['id']}/attachments", provider, 201,
                    files={"file": ("plan.jpg", picture, "image/jpeg")}).json()
    downloaded = call("GET", attached["url"].removeprefix("/api/v1"), brand)  # on the other instance
    # as stored (metadata stripped), the same bytes the other instance hashed on upload
    assert hashlib.sha256(downloaded.content).hexdigest() == attached["sha256"]
    assert downloaded.content.startswith(b"\xff\xd8")
    call("POST", f"/tenders/{tender['id']}/close", brand)
    contract_id = call("POST", f"/tenders/{tender['id']}/award", brand, 201,
                       json={"bid_id": bid["id"]}).json()["contract_id"]
    milestone = call("GET", f"/contracts/{contract_id}", brand).json()["milestones"][0]["id"]
    call("POST", "/admin/deposits", staff, 201, json={"user_id": brand_id, "amount": amount, "currency": "CNY",
                                                      "reference": "SCALE-OUT-1"})
    call("POST", f"/milestones/{milestone}/fund", brand)
    call("POST", f"/milestones/{milestone}/deliver", provider, json={"note": "Delivered through instance B or A"})
    call("POST", f"/milestones/{milestone}/accept", brand)
    scores = {"quality": 5, "communication": 4, "timeliness": 5, "professionalism": 4}
    for party in (brand, provider):
        call("POST", f"/contracts/{contract_id}/reviews", party, 201, json={"scores": scores, "comment": "Good work"})

    # the jobs, on whichever worker: the provider rated, every outbox row run, webhooks delivered
    rated = wait_until(lambda: (p := call("GET", f"/providers/{provider_id}").json())["review_count"] == 1 and p,
                       60, "the rating recompute job ran")
    assert rated["score"] is not None
    with app.app_context():
        wait_until(lambda: db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0 or
                   db.session.rollback(), 60, "every outbox job ran")
        redis = get_redis()
        finished = [job for name in app.config["RQ_QUEUES"] for job in _finished(name, redis)]
    ran = {job.func_name.rsplit(".", 1)[-1] for job in finished}
    assert {"recompute_dirty_ratings", "deliver_webhook", "derive_upload"} <= ran, ran
    workers = {job.worker_name for job in finished}
    assert len(workers) >= 2, f"{len(finished)} jobs all ran on {workers}: the workers do not share the queues"
    deliveries = wait_until(lambda: (d := call("GET", f"/webhooks/{hook['id']}/deliveries", brand).json()["items"])
                            and all(x["status_code"] == 200 for x in d) and d, 60, "webhooks delivered")
    assert len(receiver.requests) >= len(deliveries) > 0

    # the money: the brand's deposit went into escrow and out to the provider, less the commission
    brand_me, provider_me = call("GET", "/me", brand).json(), call("GET", "/me", provider).json()
    commission = amount * app.config["COMMISSION_BPS"] // 10000
    assert _by_kind(brand_me) == {"brand_wallet": 0}
    assert _by_kind(provider_me) == {"provider_payable": amount - commission}


def _by_kind(me: dict) -> dict:
    """{"brand_wallet": 0} from [{"account": "brand_wallet:user:1:CNY", "amount": 0, ...}]."""
    return {b["account"].split(":", 1)[0]: b["amount"] for b in me["balances"]}


def _finished(queue_name: str, redis) -> list:
    from rq.job import Job  # noqa: PLC0415

    registry = FinishedJobRegistry(queue_name, connection=redis)
    return [job for job in Job.fetch_many(registry.get_job_ids(), connection=redis) if job is not None]


def _web_session_travels(urls: list[str]) -> None:
    """Signed in through instance A with a browser's form; the cookie works on instance B (signed
    sessions, login rows in the database): no sticky sessions needed."""
    browser = requests.Session()  # cookies are per host, not per port: B gets A's cookie as a browser would send it
    form = browser.get(urls[0] + "/login", timeout=10).text
    csrf = CSRF.search(form)
    signed = browser.post(urls[0] + "/login", data={"email": "brand-scale@example.com", "password": PASSWORD,
                                                    "csrf_token": csrf.group(1) or csrf.group(2)},
                          allow_redirects=False, timeout=10)
    assert signed.status_code == 302, signed.text[:500]
    page = browser.get(urls[1] + "/account", allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "brand-scale@example.com" in page.text
    # a form from A's page posted to B (the CSRF token is the signed session's, not the process's): signing out
    csrf = CSRF.search(browser.get(urls[0] + "/account", timeout=10).text)
    out = browser.post(urls[1] + "/logout", data={"csrf_token": csrf.group(1) or csrf.group(2)},
                       allow_redirects=False, timeout=10)
    assert out.status_code == 302
    assert browser.get(urls[0] + "/account", allow_redirects=False, timeout=10).status_code == 302
