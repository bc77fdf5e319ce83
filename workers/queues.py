"""Named queues on the app's Redis. Jobs that read what a request wrote are enqueued only after
that transaction commits (`enqueue_after_commit`), so a fast worker never finds nothing."""
from flask import current_app
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db, get_redis

_PENDING = "witkey_enqueue_after_commit"


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())


def report_progress(done: int, total: int, stage: str | None = None) -> None:
    """Progress of the running job, in its meta (`GET /api/v1/jobs/<id>`); a no-op outside a job."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta["progress"] = {"done": done, "total": total, **({"stage": stage} if stage else {})}
        job.save_meta()


def enqueue_after_commit(func, *args, queue_name: str = "default") -> None:
    db.session().info.setdefault(_PENDING, []).append((queue_name, func, args))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for queue_name, func, args in session.info.pop(_PENDING, []):
        queue(queue_name).enqueue(func, *args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)
