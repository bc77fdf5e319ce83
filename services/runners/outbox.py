"""The outbox's relay: jobs recorded by services/tasks.after_commit reach RQ and run, whatever Redis did.

A row is pushed to RQ right after its transaction commits. `relay()` (a periodic job, every
RELAY_EVERY seconds, workers/schedule.py) looks at each row whose `available_at` has come:
- its job finished → the row is deleted (its success callback did not get to it);
- its job is queued or running → looked at again in CHECK_AGAIN;
- its job failed, was stopped, or is not in Redis at all (the push after commit failed; Redis restarted
  without its data) → queued again, `attempts` + 1, the reason in `last_error`, and looked at again
  after a backoff that doubles with each attempt (up to MAX_BACKOFF). Rows asking for the same job
  (`dedupe_key`) are queued as one job.
`job_ran` (the RQ success callback of every outbox job) deletes the rows a job ran for, right after it
returned: its work is committed by then (every job commits its own), and a job run twice is harmless.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from extensions import db
from models import OutboxJob
from models.types import utcnow
from services import locking, tasks

RELAY_EVERY = 15  # seconds, the periodic relay's interval
CHECK_AGAIN = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 500
_RELAY = 0x574F5258  # "WORX"; PostgreSQL skips the rows another relay has locked instead
ACTIVE = frozenset({"queued", "started", "deferred", "scheduled"})


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=RELAY_EVERY * 2 ** min(attempts, 16)), MAX_BACKOFF)


def relay() -> dict:
    """Queue what the push after commit missed and what failed; delete what ran (see the module)."""
    now = utcnow()
    if db.session.get_bind().dialect.name == "sqlite":  # one writer: take the write lock before reading
        locking.serialize(OutboxJob, _RELAY)
    rows = db.session.scalars(select(OutboxJob).where(OutboxJob.available_at <= now)
                              .order_by(OutboxJob.id).limit(BATCH).with_for_update(skip_locked=True)).all()
    counts = {"done": 0, "waiting": 0, "queued": 0, "failed": 0}
    again: dict[str, list[tuple[OutboxJob, str]]] = {}  # dedupe key → rows to queue again, and why
    for row in rows:
        try:
            state, reason = tasks.enqueued_state(row.rq_job_id)
        except Exception as error:  # Redis unreachable: try later
            _retry_later(row, now, f"Redis: {error!r}")
            counts["failed"] += 1
            continue
        if state == "finished":
            db.session.delete(row)
            counts["done"] += 1
        elif state in ACTIVE:
            row.available_at = now + CHECK_AGAIN
            counts["waiting"] += 1
        else:
            why = reason if state == "failed" else (f"its job was {state}" if state else "its job was not in Redis")
            again.setdefault(row.dedupe_key, []).append((row, why))
    requeued = []
    for group in again.values():
        first = group[0][0]
        try:
            for row, _ in group:
                tasks.forget(row.rq_job_id)  # a failed job keeps its id; queue it afresh
            tasks.push([row.id for row, _ in group], first.rq_job_id, name=first.name, args=first.args,
                       queue_name=first.queue, options=first.options)
        except Exception as error:
            for row, _ in group:
                _retry_later(row, now, f"Redis: {error!r}")
            counts["failed"] += len(group)
            continue
        for row, why in group:
            row.rq_job_id = first.rq_job_id
            _retry_later(row, now, why)
        counts["queued"] += len(group)
        requeued.append((first.name, [row.id for row, _ in group], group[0][1]))
    if requeued:  # one line per run (a Redis that lost everything would otherwise give one per row)
        current_app.logger.warning("outbox: %s job(s) queued again (job, rows, why): %s%s", len(requeued),
                                   requeued[:10], " …" if len(requeued) > 10 else "")
    db.session.commit()
    return counts


def _retry_later(row: OutboxJob, now, why: str) -> None:
    row.attempts += 1
    row.last_error = why[:2000]
    row.available_at = now + backoff(row.attempts)


def job_ran(job, connection, result) -> None:
    """RQ's success callback of an outbox job: its rows are done. A failure here is only logged (the
    relay finds the job finished, or runs it once more, and deletes them then)."""
    ids = job.meta.get(tasks.OUTBOX_META) or []
    try:
        db.session.execute(delete(OutboxJob).where(OutboxJob.id.in_(ids)))
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("outbox rows %s of job %s not deleted; the relay will", ids, job.id)
