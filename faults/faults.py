"""Each fault as a function of the running campaign. A fault returns when it is over (the server is
back, the processes are killed); the campaign then measures how long the app takes to answer and checks.

Two faults pin the moment of the kill instead of hoping for it: the campaign holds the advisory lock
that the work needs next (the settlement's payables lock, the rating writers' lock) on its own
connection, so the job is certainly running, mid batch, when worker and work horse are SIGKILLed;
the lock is let go with them."""
import os
import random
import signal
import time
from dataclasses import dataclass, field

import psycopg
import pyotp
import requests
from redis import Redis
from rq import Queue

from faults import checks
from services.ledger import PAYABLES_LOCK
from services.ratings_data import WRITERS_LOCK
from workers.recovery import resume_job_id

PG_DOWN_SECONDS = 2.0
REDIS_DOWN_SECONDS = 2.0
WEB_KILLS = 3


@dataclass
class Outcome:
    ended: float  # time.monotonic() when the fault was over
    notes: list[str] = field(default_factory=list)
    killed: int = 0
    failures: list[str] = field(default_factory=list)  # the fault was not injected as it must be
    payout_batch: int | None = None  # the batch the fault killed, checked once it has closed
    due_before: dict[int, int] = field(default_factory=dict)  # provider → due when that batch was requested
    app_back: float | None = None  # seconds until the app answered, when the fault measured it itself


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
    while the job is collecting (pinned: it waits for the payables lock the campaign holds, inside its
    first chunk's transaction). First the round makes sure the batch has someone to pay: each provider
    saves bank details (with a two-factor code, through the API) and one flow of the load is driven to
    its release (hold and minimum are off in the campaign, app_env). A round in which no batch was
    started, or its job was not seen mid-batch when the kill came, exercised nothing: it fails."""
    _ensure_payout_details(c)
    due_before = _money_due(c)
    rng = random.Random(len(c.recorder))  # noqa: S311 - which parties the flow picks, not a secret
    for _attempt in range(DUE_FLOWS):
        if due_before:
            break
        c.load.flow(rng)
        due_before = _money_due(c)
    if not due_before:
        return Outcome(time.monotonic(), failures=[f"no provider had money due after {DUE_FLOWS} flows driven to "
                                                   "release: no batch to kill"])
    # The batch job queues on the worker's default queue behind the load's money jobs (the contract
    # documents, seconds each, are on `documents`, which the worker takes last: at most the render already
    # running delays it), and while the campaign holds the payables lock the load's releases wait for it
    # too. So the load pauses, the worker catches up, and only then is the lock taken and the batch
    # requested: its job is next, and the lock is held for moments. The load starts again with the kill,
    # so the recovery runs under it.
    c.load.stop()
    idle = c.stack.wait_for(lambda: _worker_idle(c), QUEUE_DRAIN, step=0.2)
    with psycopg.connect(c.pg.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (PAYABLES_LOCK,))
        run = c.staff_client().write("payout_run", "/payouts/run")
        if not run.acknowledged:
            conn.execute("SELECT pg_advisory_unlock_all()")
            c.load.start()
            return Outcome(time.monotonic(), failures=[
                f"payout batch not started: POST /payouts/run answered {run.status} "
                f"{((run.body or {}).get('error') or {}).get('code', '')} with {len(due_before)} providers due; "
                "nothing was killed"])
        batch_id = run.body["batch_id"]
        c.payout_batches.add(batch_id)
        # the batch's own wait: settlement takes the payables lock exclusively (a payable's lock, taken by
        # the load's requests, shares it), so a waiting ExclusiveLock is the job inside its chunk
        started = c.stack.wait_for(lambda: _job_waits(c, conn, PAYABLES_LOCK, mode="ExclusiveLock"), 20, step=0.05)
        status = conn.execute("SELECT status FROM payout_batches WHERE id = %s", (batch_id,)).fetchone()[0]
        made = conn.execute("SELECT count(*) FROM payouts WHERE batch_id = %s", (batch_id,)).fetchone()[0]
        killed = _kill_worker(c)
        ended = time.monotonic()
        conn.execute("SELECT pg_advisory_unlock_all()")
        conn.commit()
        answered = time.monotonic() - ended if c.stack.wait_answering(30, c.staff.token) else None
        # The load starts again once the restarted worker has queued the batch again (or finished it): a
        # resume queued behind the documents of the load's new awards would measure the queue, not the recovery.
        taken_up = c.stack.wait_for(lambda: _batch_taken_up(c, conn, batch_id), WORKER_BACK, step=0.2)
    c.load.start()
    where = "waiting in its first chunk" if started else "not seen running"
    outcome = Outcome(ended, [f"batch {batch_id} for {len(due_before)} providers due; SIGKILL with the "
                                         f"batch {status}, {made} payouts committed, its job {where}"],
                      killed, payout_batch=batch_id, due_before=due_before, app_back=answered)
    if not taken_up:
        outcome.notes.append(f"the batch was not queued again within {WORKER_BACK:.0f} s of the kill")
    lag = "" if idle else f" (the worker had not caught up with its queue in {QUEUE_DRAIN:.0f} s)"
    if not started:
        outcome.failures.append(f"the batch's job was not seen running (waiting in its chunk) before the kill: "
                                f"batch {batch_id} was {status}, so the kill did not land mid-batch{lag}")
    elif status != "collecting" or made:
        outcome.failures.append(f"the kill did not land mid-batch: batch {batch_id} was {status} with {made} payouts")
    return outcome


DUE_FLOWS = 5  # flows driven to release before the payout round gives up on having money due
QUEUE_DRAIN = 300.0  # seconds the payout round waits (the load paused) for the worker to catch up
WORKER_BACK = 30.0  # seconds the load stays paused after the kill, waiting for the batch to be queued again
BANK = {"account_name": "Fault Campaign Ltd", "bank_name": "ICBC Fault Branch"}


def _ensure_payout_details(c) -> None:
    """Each of the load's providers that cannot be paid yet saves bank details through the API, with a
    current code from the two-factor secret the campaign enrolled it with. Not a recorded write: the
    PUT is no idempotent request, and the checks look up idempotent ones."""
    for number, provider in enumerate(c.load.providers):
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {provider.token}"
        url = c.stack.url + "/api/v1/me/payout-account"
        if http.get(url, timeout=10).json().get("can_be_paid"):
            continue
        body = {**BANK, "account_number": f"62220202{provider.user_id:010d}{number:02d}",
                "otp": pyotp.TOTP(provider.totp_secret).now()}
        answer = http.put(url, json=body, timeout=10)
        if answer.status_code != 200 or not answer.json().get("can_be_paid"):
            raise RuntimeError(f"provider {provider.user_id}'s payout details not saved: {answer.status_code} "
                               f"{answer.text[:200]}")


def _money_due(c) -> dict[int, int]:
    """provider → what a batch requested now would pay it (the load's providers)."""
    with c.app.app_context():
        return checks.due_now([p.user_id for p in c.load.providers])


def worker_killed_mid_rating_recompute(c) -> Outcome:
    """The rating job (queued by the load's releases and reviews) SIGKILLed with its worker while it
    runs (pinned: it waits for the rating writers' lock the campaign holds)."""
    with psycopg.connect(c.pg.url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        started = c.stack.wait_for(lambda: _job_waits(c, conn, WRITERS_LOCK), 30, step=0.05)
        killed = _kill_worker(c)
        conn.execute("SELECT pg_advisory_unlock_all()")
    return Outcome(time.monotonic(), [] if started else ["no rating job was seen running before the kill"], killed)


def _job_waits(c, conn, key: int, mode: str | None = None) -> bool:
    """The worker has a work horse (a job is running) and someone waits for the lock (in `mode`)."""
    return len(c.stack.worker_processes()) >= 2 and _waiting_on_lock(conn, key, mode)


def _waiting_on_lock(conn, key: int, mode: str | None = None) -> bool:
    """Some other session waits for advisory lock `key` (PostgreSQL splits a bigint key in two halves),
    in `mode` if given."""
    return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                        "AND objid = %s AND mode = coalesce(%s, mode)", (key & 0xFFFFFFFF, mode)).fetchone()[0] > 0


def _worker_idle(c) -> bool:
    """No job queued on the worker's default queue, and no work horse (no job running)."""
    with Redis.from_url(c.redis.url) as connection:
        queued = Queue("default", connection=connection).count
    return not queued and len(c.stack.worker_processes()) == 1


def _batch_taken_up(c, conn, batch_id: int) -> bool:
    """The restarted worker queued the batch again (workers/recovery.py), or it is closed already."""
    with Redis.from_url(c.redis.url) as connection:
        if connection.exists(f"rq:job:{resume_job_id(batch_id)}"):
            return True
    status = conn.execute("SELECT status FROM payout_batches WHERE id = %s", (batch_id,)).fetchone()[0]
    conn.commit()
    return status == "closed"


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
