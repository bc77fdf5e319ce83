"""Each fault as a function of the running campaign. A fault returns when it is over (the server is
back, the processes are killed); the campaign then measures how long the app takes to answer and checks.

Two faults pin the moment of the kill instead of hoping for it: the campaign holds the advisory lock
that the work needs next (the settlement's payables lock, the rating writers' lock) on its own
connection, so the job is certainly running, mid batch, when worker and work horse are SIGKILLed;
the lock is let go with them."""
import os
import signal
import time
from dataclasses import dataclass, field

import psycopg

from services.ledger import PAYABLES_LOCK
from services.ratings_data import WRITERS_LOCK

PG_DOWN_SECONDS = 2.0
REDIS_DOWN_SECONDS = 2.0
WEB_KILLS = 3


@dataclass
class Outcome:
    ended: float  # time.monotonic() when the fault was over
    notes: list[str] = field(default_factory=list)
    killed: int = 0


def baseline(c) -> Outcome:
    """No fault: the same load and checks, so a check that fails without any fault shows here first."""
    return Outcome(time.monotonic())


def pg_stop_immediate(c) -> Outcome:
    """PostgreSQL stopped with `pg_ctl -m immediate` (every backend killed, no checkpoint), down
    PG_DOWN_SECONDS, started again (crash recovery)."""
    c.pg.stop_immediately()
    time.sleep(PG_DOWN_SECONDS)
    c.pg.start()
    return Outcome(time.monotonic())


def pg_terminate_connections(c) -> Outcome:
    """Every connection to the app's database terminated by the server (`pg_terminate_backend`)."""
    with psycopg.connect(c.pg.url, autocommit=True) as conn:
        killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    return Outcome(time.monotonic(), [f"{killed} connections terminated"], killed)


def redis_restart(c) -> Outcome:
    """Redis stopped and started again with its append-only file: its data survives. Pinned so that a
    job is running while Redis is away (the rating job, held at the writers' lock)."""
    return _redis_restart(c, wipe=False)


def redis_restart_volatile(c) -> Outcome:
    """Redis stopped and started again without its data (a server without persistence): queued jobs,
    RQ's registries, and whatever else lives only in Redis, are gone. Pinned like redis_restart."""
    return _redis_restart(c, wipe=True)


def _redis_restart(c, *, wipe: bool) -> Outcome:
    with psycopg.connect(c.pg.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        running = c.stack.wait_for(lambda: _job_waits(c, conn, WRITERS_LOCK), 15, step=0.05)
        c.redis.stop()
        if wipe:
            c.redis.wipe()
        time.sleep(REDIS_DOWN_SECONDS)
        c.redis.start()
        conn.execute("SELECT pg_advisory_unlock_all()")
    return Outcome(time.monotonic(), [] if running else ["no job was seen running when Redis went away"])


def web_workers_killed(c) -> Outcome:
    """Every gunicorn worker SIGKILLed mid-request, WEB_KILLS times (the master stays and forks new
    ones); before each further kill the app answers again, so each kill hits workers serving the load,
    not ones still booting. The fault ends with the last kill."""
    killed = 0
    for time_no in range(WEB_KILLS):
        if time_no:
            c.stack.wait_answering(30, c.staff.token)
            time.sleep(0.3)
        for pid in c.stack.web_worker_pids():
            killed += _kill(pid)
    return Outcome(time.monotonic(), [f"{killed} web workers killed"], killed)


def worker_killed_mid_payout_batch(c) -> Outcome:
    """A settlement batch started through the staff API; the worker and its work horse SIGKILLed
    while the job is collecting (pinned: it waits for the payables lock the campaign holds)."""
    with psycopg.connect(c.pg.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (PAYABLES_LOCK,))
        run = c.staff_client().write("payout_run", "/payouts/run")
        if not run.acknowledged:
            return Outcome(time.monotonic(), [f"payout run not started: {run.status}"])
        c.payout_batches.add(run.body["batch_id"])
        started = c.stack.wait_for(lambda: _job_waits(c, conn, PAYABLES_LOCK), 20, step=0.05)
        killed = _kill_worker(c)
        conn.execute("SELECT pg_advisory_unlock_all()")
    notes = [f"batch {run.body['batch_id']}" + ("" if started else " (job not seen running before the kill)")]
    return Outcome(time.monotonic(), notes, killed)


def worker_killed_mid_rating_recompute(c) -> Outcome:
    """The rating job (queued by the load's releases and reviews) SIGKILLed with its worker while it
    runs (pinned: it waits for the rating writers' lock the campaign holds)."""
    with psycopg.connect(c.pg.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        started = c.stack.wait_for(lambda: _job_waits(c, conn, WRITERS_LOCK), 30, step=0.05)
        killed = _kill_worker(c)
        conn.execute("SELECT pg_advisory_unlock_all()")
    return Outcome(time.monotonic(), [] if started else ["no rating job was seen running before the kill"], killed)


def _job_waits(c, conn, key: int) -> bool:
    """The worker has a work horse (a job is running) and someone waits for the lock."""
    return len(c.stack.worker_processes()) >= 2 and _waiting_on_lock(conn, key)


def _waiting_on_lock(conn, key: int) -> bool:
    """Some other session waits for advisory lock `key` (PostgreSQL splits a bigint key in two halves)."""
    return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                        "AND objid = %s", (key & 0xFFFFFFFF,)).fetchone()[0] > 0


def _kill_worker(c) -> int:
    """SIGKILL the RQ worker's work horse and the worker itself (the whole `flask worker` tree)."""
    return sum(_kill(pid) for pid in reversed(c.stack.worker_processes()))


def _kill(pid: int) -> int:
    try:
        os.kill(pid, signal.SIGKILL)
        return 1
    except ProcessLookupError:
        return 0


FAULTS = {
    "baseline (no fault)": baseline,
    "pg-stop-immediate": pg_stop_immediate,
    "pg-terminate-connections": pg_terminate_connections,
    "web-workers-sigkill": web_workers_killed,
    "redis-restart-persistent": redis_restart,
    "redis-restart-volatile": redis_restart_volatile,
    "worker-sigkill-payout-batch": worker_killed_mid_payout_batch,
    "worker-sigkill-rating-recompute": worker_killed_mid_rating_recompute,
}
# The CI form: one of each kind of part failing (database, web, Redis, worker mid-batch), not every variant.
QUICK = ["baseline (no fault)", "pg-stop-immediate", "web-workers-sigkill", "redis-restart-volatile",
         "worker-sigkill-payout-batch"]
FULL = list(FAULTS)
