"""When ratings are recomputed. Events (a review, a release, a decision, a completed contract) mark
the provider dirty in Redis after the transaction commits and enqueue one de-duplicated job that
recomputes every dirty provider; a nightly job recomputes everyone in set-based SQL with progress,
then queues the partner badges as a job of their own. Both write only what changed (the rating
history is a change log)."""
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db, get_redis
from models.types import utcnow
from services import directory, ratings_data
from workers.queues import enqueue_after_commit, queue, report_progress

DIRTY = "witkey:ratings:dirty"
IN_PROGRESS = "witkey:ratings:in-progress"
JOB_ID = "ratings-dirty"
_PENDING = "witkey_rating_recompute"
BATCH = 500


def request_recompute(provider_id: int) -> None:
    """Ask for a recompute of this provider once the current transaction commits."""
    db.session().info.setdefault(_PENDING, set()).add(provider_id)


@event.listens_for(Session, "after_commit")
def _mark_dirty(session: Session) -> None:
    provider_ids = session.info.pop(_PENDING, None)
    if not provider_ids:
        return
    from workers import jobs  # imported late: jobs imports the services that import this module

    get_redis().sadd(DIRTY, *provider_ids)
    # One job id for all: a burst of events queues one job (result_ttl=0 frees the id when done).
    # A duplicate that is queued or running takes this provider too; one that failed (RQ keeps a failed
    # job, id and all, for a year) is cleared first, or no event would queue a job again.
    default = queue("default")
    for _ in range(2):
        try:
            default.enqueue(jobs.recompute_dirty_ratings, job_id=JOB_ID, unique=True, result_ttl=0)
            return
        except DuplicateJobError:
            stale = default.fetch_job(JOB_ID)
            if stale is None or not (stale.is_failed or stale.is_stopped or stale.is_canceled):
                return
            stale.delete()


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def recompute_dirty() -> int:
    """Recompute the providers marked dirty, a batch at a time, until none is left.

    A batch taken off the dirty set is parked in a second set until its ratings commit. Runners (this
    job, the periodic sweep, the nightly run) take turns on the rating writers' lock, so whoever holds
    it finds in that set only a batch whose runner died before committing (or committed without
    unparking it: a harmless second look) and puts it back: a killed worker loses no provider."""
    redis, done = get_redis(), 0
    while True:
        ratings_data.take_writers_turn()
        with redis.pipeline() as pipe:  # MULTI: parked ids back to dirty, then the next batch out
            pipe.sunionstore(DIRTY, [DIRTY, IN_PROGRESS]).delete(IN_PROGRESS).spop(DIRTY, BATCH)
            batch = [int(x) for x in pipe.execute()[-1] or []]
        if not batch:
            db.session.rollback()
            return done
        redis.sadd(IN_PROGRESS, *batch)
        done += ratings_data.recompute(batch, utcnow())
        db.session.commit()
        redis.srem(IN_PROGRESS, *batch)


def recompute_all() -> dict:
    """Every provider, in set-based SQL (ratings_data.recompute_everyone: memory does not grow with
    providers, reviews or contracts); progress goes to the job's meta. Only changed ratings are written
    (the profile, a history row); the run itself is recorded, as when ratings were last checked. The
    partner badges, ranked from the new ratings, follow as a job of their own once these are committed."""
    from workers import jobs  # imported late: jobs imports the services that import this module

    run = ratings_data.recompute_everyone(utcnow(), progress=report_progress)
    enqueue_after_commit(jobs.award_partner_badges)
    db.session.commit()
    return {"providers": run.providers, "changed": run.changed}


def award_badges() -> int:
    """The current half-year's partner badges from the current ratings (directory.award_badges)."""
    holders = directory.award_badges(utcnow())
    db.session.commit()
    return holders
