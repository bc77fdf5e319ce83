"""Taking up a settlement batch whose run died, as soon as a worker can know it, instead of waiting
for the stale-batch sweep (STALE without a heartbeat, swept every 10 minutes: up to ~15 minutes).

A worker checks when it starts (the supervisor restarts a killed worker within seconds) and when
RQ reports an abandoned batch job (`AbandonedJobError`, found by RQ's registry clean-up). A batch run
is alive while a batch job is queued, or started by a worker that is still alive: its RQ record
exists with a recent heartbeat and, on this host, its process exists. Otherwise the open batch is
queued again under one job id per batch (`resume-payout-batch-<id>`, queued with RQ's `unique`), so
two workers starting together queue it once; and a second run would still pay nobody twice (each
payout is locked and sent with its own idempotency key, services/runners/payout_batch.py)."""
import os
import socket
from datetime import timedelta

from flask import current_app
from rq import Queue, Worker
from rq.exceptions import AbandonedJobError, DuplicateJobError, InvalidJobOperation
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.utils import now

from extensions import get_redis
from services import payouts, tasks

# Jobs that run the open batch whenever they run: one queued or running is a live run of it.
BATCH_RUNS = {"workers.jobs.run_payout_batch", "workers.jobs.settle_payouts"}
# …and the stale-batch sweep, which runs it only once it has been silent for minutes (so a queued
# sweep — the scheduler queues every periodic job when it starts — is no live run), but whose death
# mid-batch abandons it all the same.
BATCH_JOBS = {*BATCH_RUNS, "workers.jobs.resume_stale_payout_batch"}
# The queue a batch taken up again is queued on (run_payout_batch's own: services/payouts.py queues it there),
# whichever worker takes it up: one serving only mail or documents queues it for the workers that run batches.
BATCH_QUEUE = "default"
# RQ heartbeats a worker running a job every job_monitoring_interval (30 s) and lets its record lapse 60 s later.
WORKER_SILENT = timedelta(seconds=90)


def resume_job_id(batch_id: int) -> str:
    return f"resume-payout-batch-{batch_id}"


def resume_dead_batch() -> str | None:
    """Queue the open settlement batch again if no live run of it is left; the job id, or None.
    Needs an app context."""
    batch = payouts.open_batch()
    if batch is None:
        return None
    if (alive := _batch_run_alive()) is not None:
        current_app.logger.warning("settlement batch %s has a live run: %s", batch.id, alive)
        return None
    job_id = resume_job_id(batch.id)
    earlier = Job.fetch_many([job_id], connection=get_redis())[0]
    if earlier is not None and earlier.get_status(refresh=False) in (JobStatus.STARTED, JobStatus.FINISHED):
        earlier.delete()  # a resume that died too (not alive, as checked above), or one that left payouts unsent
    try:
        tasks.enqueue("run_payout_batch", batch.id, queue_name=BATCH_QUEUE, job_id=job_id, unique=True,
                      job_timeout=6 * 3600, meta={"batch_id": batch.id})
    except DuplicateJobError:  # another worker starting at the same moment queued it
        return job_id
    current_app.logger.warning("settlement batch %s had no live run; queued %s", batch.id, job_id)
    return job_id


def on_abandoned_job(app):
    """An RQ exception handler: a batch job RQ found abandoned (its worker died) is taken up again."""

    def handler(job, exc_type, _exc_value, _traceback):
        if exc_type is AbandonedJobError and job.func_name in BATCH_JOBS:
            with app.app_context():
                resume_dead_batch()
        return True  # the other handlers (RQ's own: move to failed) still run

    return handler


def _batch_run_alive() -> str | None:
    """The live run of the open batch, described (for the log), or None. Every queue is looked at, not just
    the calling worker's: a batch job runs on default (staff's run, a resume) or periodic (the cron)."""
    connection = get_redis()
    for name in current_app.config["RQ_QUEUES"]:
        queue = Queue(name, connection=connection)
        for job in Job.fetch_many(queue.get_job_ids(), connection=connection):
            if job is not None and job.func_name in BATCH_RUNS:
                return f"job {job.id} queued on {name}"
        registry = StartedJobRegistry(queue=queue)
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            job = Job.fetch_many([job_id], connection=connection)[0]
            if job is None or job.func_name not in BATCH_JOBS:
                continue
            try:
                worker = Execution.fetch(execution_id, job_id, connection).worker_name
            except (ValueError, InvalidJobOperation):  # its execution record is gone: no live run there
                continue
            if (why := _worker_alive(worker)):
                return f"job {job_id} started by worker {worker} ({why})"
    return None


def _worker_alive(name: str) -> str | None:
    """Why the worker of that name counts as alive (for the log), or None: its record exists with a recent
    heartbeat and, on this host, its process exists."""
    if not name:
        return None
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + name, connection=get_redis())
    if worker is None or worker.last_heartbeat is None or worker.last_heartbeat < now() - WORKER_SILENT:
        return None
    if not worker.hostname or not worker.pid:
        # A record without them is not the worker's own: Redis lost its data and a heartbeat wrote the key
        # anew. Nothing says its process lives; a second run of the batch is safe (it pays nobody twice).
        return None
    if worker.hostname == socket.gethostname():
        try:
            os.kill(worker.pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # someone else's process of that id: it exists
        return f"process {worker.pid} exists here, heartbeat {worker.last_heartbeat:%H:%M:%S}"
    return f"on {worker.hostname} (pid {worker.pid}), heartbeat {worker.last_heartbeat:%H:%M:%S}"
