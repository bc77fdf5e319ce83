"""The port through which services (and routes) hand work to the RQ workers.

A job is named by its function's name in `workers.jobs`, as a string that RQ resolves in the worker,
so nothing here imports `workers`: the workers depend on the services, never the other way round
(import-linter holds that; tests/test_layers.py holds every name used here to a real job).

- `after_commit(name, *args)`: queue the job once the current transaction commits (a fast worker must
  find the rows the request wrote). Queuing that fails is logged, not raised into a committed write:
  every job queued this way also has a periodic sweep (workers/schedule.py).
- `enqueue(name, *args)`: queue it now and return its id (staff asking for a run, from a route).
- `status(job_id)`: a job's state, progress, result and who started it; None if there is no such job.
- `report_progress(done, total, stage)`: called by a running job, shown by `GET /api/v1/jobs/<id>`.
"""
import json
from dataclasses import dataclass

from flask import current_app
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job

from extensions import get_redis
from services import after_commit as _after_commit

JOBS_MODULE = "workers.jobs"


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())


def enqueue(name: str, *args, queue_name: str = "default", **options) -> str:
    """Queue `workers.jobs.<name>(*args)` now; `options` are RQ's (job_timeout, meta, job_id…)."""
    return queue(queue_name).enqueue(_path(name), *args, **options).id


def after_commit(name: str, *args, queue_name: str = "default", **options) -> None:
    """Queue `workers.jobs.<name>(*args)` once this transaction commits (once, however often asked)."""
    # JSON, so that the same request made twice in a transaction compares equal (and is queued once)
    _after_commit.on_commit(_enqueue_later, name, args, queue_name, json.dumps(options, sort_keys=True))


def _enqueue_later(name: str, args: tuple, queue_name: str, options: str) -> None:
    options = json.loads(options)
    if options.get("unique"):
        enqueue_unique(name, *args, queue_name=queue_name, **options)
    else:
        enqueue(name, *args, queue_name=queue_name, **options)


def enqueue_unique(name: str, *args, job_id: str, queue_name: str = "default", **options) -> None:
    """Queue the job under a fixed id unless one is already queued or running (which will do this
    work too). A failed or stopped job under that id (RQ keeps a failed one, id and all, for a year)
    is cleared first; one that finished and vanished while we looked is simply queued anew."""
    options.pop("unique", None)
    target = queue(queue_name)
    for _ in range(3):
        try:
            target.enqueue(_path(name), *args, job_id=job_id, unique=True, **options)
            return
        except DuplicateJobError:
            stale = target.fetch_job(job_id)
            if stale is None:
                continue
            try:
                state = stale.get_status()
            except InvalidJobOperation:  # finished and deleted (result_ttl=0) between our two calls
                continue
            if state not in ("failed", "stopped", "canceled"):
                return
            stale.delete()
    current_app.logger.warning("job %s could not be queued; its periodic sweep will run it", job_id)


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
