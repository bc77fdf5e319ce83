"""The port through which services (and routes) hand work to the RQ workers.

A job is named by its function's name in `workers.jobs`, as a string that RQ resolves in the worker,
so nothing here imports `workers`: the workers depend on the services, never the other way round
(import-linter holds that; tests/test_layers.py holds every name used here to a real job).

- `after_commit(name, *args)`: run the job once the current transaction commits (a fast worker must
  find the rows the request wrote), durably: an `OutboxJob` row is written in the transaction itself,
  pushed to RQ right after the commit (a failure there is logged, never raised into the committed
  write), and otherwise by the periodic relay (services/runners/outbox.py), which also queues again a
  job that failed or vanished from Redis. The row is deleted once its job has run.
- `enqueue(name, *args)`: queue it now and return its id (staff asking for a run, from a route).
- `status(job_id)`: a job's state, progress, result and who started it; None if there is no such job.
- `report_progress(done, total, stage)`: called by a running job, shown by `GET /api/v1/jobs/<id>`.
"""
import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from rq import Callback, Queue, get_current_job
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from sqlalchemy import inspect

from extensions import db, get_redis
from models import OutboxJob
from models.types import utcnow
from services import after_commit as _after_commit

JOBS_MODULE = "workers.jobs"


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())


def enqueue(name: str, *args, queue_name: str = "default", **options) -> str:
    """Queue `workers.jobs.<name>(*args)` now; `options` are RQ's (job_timeout, meta, job_id…)."""
    return queue(queue_name).enqueue(_path(name), *args, **options).id


# The periodic relay leaves a new row this long to the push made right after its commit.
PUSH_GRACE = timedelta(seconds=10)
OUTBOX_META = "outbox_ids"  # in the RQ job's meta: the rows it runs for, deleted once it has run
JOB_RAN = "services.runners.outbox.job_ran"  # its success callback, named by string as jobs are


def after_commit(name: str, *args, queue_name: str = "default", **options) -> None:
    """Run `workers.jobs.<name>(*args)` once this transaction commits (once, however often asked in it);
    `options` are RQ's (job_id, job_timeout, meta…). Written in the transaction, so it is never lost."""
    _path(name)
    if queue_name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {queue_name!r}")
    # JSON, so that the same request made twice in a transaction compares equal (and is queued once)
    key = hashlib.sha256(json.dumps([name, args, queue_name, options], sort_keys=True).encode()).hexdigest()
    asked = _after_commit.transaction_local("outbox")
    if key in asked and asked[key] in db.session:  # (not when a savepoint that added it rolled back)
        return
    # Its own RQ job id (SQLite hands a deleted row's id out again; RQ keeps a finished job a while)
    row = OutboxJob(name=name, args=list(args), queue=queue_name, options=options, dedupe_key=key,
                    rq_job_id=options.get("job_id") or f"outbox-{uuid.uuid4().hex}", available_at=utcnow() + PUSH_GRACE)
    db.session.add(row)
    asked[key] = row
    _after_commit.on_commit_batch(_push_committed, _Asked(row, name, list(args), queue_name, options, row.rq_job_id))


@dataclass(frozen=True, eq=False)
class _Asked:
    """An outbox row and what it holds (after the commit the row's attributes are expired, and the
    session cannot read them again until a new transaction)."""

    row: OutboxJob
    name: str
    args: list
    queue_name: str
    options: dict
    job_id: str


def _push_committed(asked: tuple[_Asked, ...]) -> None:
    """Right after the commit: queue each row's job; a failure is logged and left to the relay."""
    for job in asked:
        identity = inspect(job.row).identity
        if identity is None:  # added in a savepoint that rolled back
            continue
        try:
            push([identity[0]], job.job_id, name=job.name, args=job.args, queue_name=job.queue_name,
                 options=job.options)
        except Exception as error:  # the write stands; the relay queues it (workers/schedule.py)
            current_app.logger.warning("job %s (outbox row %s) not queued after commit, left to the relay: %r",
                                       job.name, identity[0], error)


def push(row_ids: list[int], job_id: str, *, name: str, args: list, queue_name: str, options: dict) -> None:
    """Queue an outbox job under `job_id`, for rows `row_ids`; one already queued under it stands (the
    other path, after commit or relay, queued it first)."""
    options = {key: value for key, value in options.items() if key != "job_id"}
    meta = {**options.pop("meta", {}), OUTBOX_META: list(row_ids)}
    with contextlib.suppress(DuplicateJobError):
        queue(queue_name).enqueue(_path(name), *args, job_id=job_id, meta=meta, unique=True,
                                  on_success=Callback(JOB_RAN), **options)


def enqueued_state(job_id: str) -> tuple[str | None, str | None]:
    """(RQ status of `job_id`, or None when Redis has no such job; why it failed, when it did)."""
    try:
        job = Job.fetch(job_id, connection=get_redis())
        state = job.get_status()
    except (NoSuchJobError, InvalidJobOperation):
        return None, None
    if state != "failed":
        return state, None
    result = job.latest_result()
    reason = (getattr(result, "exc_string", None) or "failed").strip().splitlines()[-1]
    return state, reason


def is_waiting(job_id: str) -> bool:
    """Whether the job is still in its queue, not started (False once started, ended, or gone)."""
    try:
        return Job.fetch(job_id, connection=get_redis()).get_status() == "queued"
    except (NoSuchJobError, InvalidJobOperation):
        return False


def forget(job_id: str) -> None:
    """Delete a failed or stopped RQ job, so that its id can be queued again."""
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=get_redis()).delete()


@dataclass(frozen=True)
class JobState:
    status: str
    progress: dict | None
    result: object
    started_by: int | None


def status(job_id: str) -> JobState | None:
    try:
        job = Job.fetch(job_id, connection=get_redis())
        state = job.get_status()
    except (NoSuchJobError, InvalidJobOperation, ValueError):  # RQ refuses ids it never makes with ValueError
        return None
    return JobState(status=state, progress=job.meta.get("progress"),
                    result=job.return_value() if state == "finished" else None,
                    started_by=job.meta.get("started_by"))


def report_progress(done: int, total: int, stage: str | None = None) -> None:
    """Progress of the running job, in its meta; a no-op outside a job (a test, the CLI)."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = {"done": done, "total": total, **({"stage": stage} if stage else {})}
        job.save_meta()


def _path(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"not a job name: {name!r}")
    return f"{JOBS_MODULE}.{name}"
