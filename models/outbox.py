"""Work a transaction leaves for the workers, written in that transaction so that it exists exactly when
the transaction's changes do, whatever happens to Redis afterwards.

- `OutboxJob`: a job to run once (services/tasks.after_commit); relayed to RQ after the commit and by a
  periodic relay, deleted once it has run (services/runners/outbox.py).
- `RatingMark`: "this provider needs re-rating" (services/rating_jobs.py), one appended row per event,
  so that concurrent events never update a shared row; deleted with the ratings that take it up
  (services/runners/ratings.py).
"""
from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.types import UTCDateTime, utcnow


class OutboxJob(db.Model):
    """`workers.jobs.<name>(*args)` on RQ queue `queue`, with RQ's `options` (job_id, job_timeout, meta…).

    Its RQ job id is `rq_job_id` (the caller's job_id, or `outbox-<random>` when none was given, or the job
    of an earlier row with the same `dedupe_key` that the relay queued for both). The relay looks at a row again
    at `available_at`; `attempts` and `last_error` say how often its job had to be queued again and why."""

    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_available_at", "available_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    args: Mapped[list] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(40), default="default")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(64))  # sha256 of name, args, queue, options
    rq_job_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    available_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class RatingMark(db.Model):
    """A provider to re-rate. Taken by a runner for `LEASE` seconds (`taken_by`, `taken_until`), deleted
    in the transaction that stores the new ratings; `attempts` counts the runs that took it up."""

    __tablename__ = "rating_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(index=True)  # no foreign key: an event's insert locks no user row
    created_at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    taken_by: Mapped[str | None] = mapped_column(String(32), index=True)
    taken_until: Mapped[object | None] = mapped_column(UTCDateTime())
