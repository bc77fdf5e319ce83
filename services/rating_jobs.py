"""When ratings are recomputed — the marking side. An event (a review, a release, a decision, a completed
contract) appends a `RatingMark` for its provider in its own transaction, so the mark exists exactly when
the event does, whatever happens to Redis; once the transaction commits it nudges the recompute job. A
lost nudge costs nothing but time: the periodic sweep (every 15 s) reads the same marks. A nightly job
recomputes everyone in set-based SQL. The runners that do the recomputing, and commit, are in
services/runners/ratings.py.

Nudges are de-duplicated by the job itself, not by a fixed job id: a nudge queues a run unless the run
the last nudge queued is still waiting in the queue (that run reads the marks only once it starts, so it
will find this one). A run that has started — and may since have been killed — therefore never holds
back a nudge. Bounds after a SIGKILL of the whole worker: an event is queued at once (0 s: no lease,
no job timeout to wait for; only the wait for a free worker), and the marks the killed run had taken
are free again after their lease (runners/ratings.LEASE, 20 s), for the next run — the next event's,
or the sweep's: rated within about 35 s of the kill (tests/test_rating_jobs.py, tests/test_ratings.py;
`make faults` measures it under load).
"""
import uuid

from extensions import db, get_redis
from models import RatingMark, User
from services import audit, tasks
from services.after_commit import on_commit, transaction_local
from services.errors import Forbidden

MAX_ATTEMPTS = 3  # runs that took a provider's mark up and did not rate it, before it is left to the nightly run
NUDGED = "witkey:ratings:nudged"  # the id of the run the last nudge queued
NUDGED_TTL = 24 * 3600  # (only so that the key does not outlive the queue forever)


def request_recompute(provider_id: int) -> None:
    """Mark this provider for re-rating in the current transaction (once per transaction)."""
    marks = transaction_local("rating-marks")
    if provider_id in marks and marks[provider_id] in db.session:
        return
    marks[provider_id] = mark = RatingMark(provider_id=provider_id)
    db.session.add(mark)
    on_commit(nudge)


def nudge() -> None:
    """Queue a recompute run, unless the one queued last is still waiting to start. (Two nudges at once
    may both queue one: a second run finds no mark left, which is harmless.)"""
    redis = get_redis()
    last = redis.get(NUDGED)
    if last and tasks.is_waiting(last.decode()):
        return
    redis.set(NUDGED, tasks.enqueue("recompute_dirty_ratings", result_ttl=60), ex=NUDGED_TTL)


def request_full_recompute(staff: User) -> str:
    """Staff ask for the nightly full recompute now: queued once this commits, recorded with who asked.
    Returns the job's id (its progress: GET /api/v1/jobs/<id>)."""
    if staff is None or not staff.is_admin:
        raise Forbidden()
    job_id = uuid.uuid4().hex
    tasks.after_commit("recompute_all_ratings", job_id=job_id, meta={"started_by": staff.id}, job_timeout=3600)
    audit.record(staff, "ratings.recompute", "ratings", None, after={"job_id": job_id})
    return job_id
