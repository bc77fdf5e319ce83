"""When ratings are recomputed. Events (a review, a release, a decision, a completed contract) mark
the provider dirty in Redis after the transaction commits and enqueue one de-duplicated job that
recomputes every dirty provider; a nightly job recomputes everyone in set-based SQL with progress,
then queues the partner badges as a job of their own. Both write only what changed (the rating
history is a change log)."""
import uuid

from flask import current_app
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db, get_redis
from models.types import utcnow
from services import directory, ratings_data
from workers.queues import enqueue_after_commit, queue, report_progress

DIRTY = "witkey:ratings:dirty"
PARKED = "witkey:ratings:parked"  # the keys of the batches runners have taken and not yet committed
ATTEMPTS = "witkey:ratings:attempts"  # provider id → runs that took it up and died
MAX_ATTEMPTS = 3
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


# Take a batch off the dirty set and park it under this runner's key, at once (a runner killed between
# the two would otherwise lose the batch).
_TAKE = """
local ids = redis.call('SPOP', KEYS[1], ARGV[1])
if #ids > 0 then
  redis.call('SADD', KEYS[2], unpack(ids))
  redis.call('SADD', KEYS[3], KEYS[2])
end
return ids
"""
# Put every parked batch back on the dirty set, counting for each provider the runs that took it up and
# died; one taken up MAX_ATTEMPTS times is left to the nightly run (returned, for the log).
_PUT_BACK = """
local dropped = {}
for _, parked in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  for _, id in ipairs(redis.call('SMEMBERS', parked)) do
    if redis.call('HINCRBY', KEYS[3], id, 1) < tonumber(ARGV[1]) then
      redis.call('SADD', KEYS[2], id)
    else
      redis.call('HDEL', KEYS[3], id)
      table.insert(dropped, id)
    end
  end
  redis.call('DEL', parked)
  redis.call('SREM', KEYS[1], parked)
end
return dropped
"""


def recompute_dirty() -> int:
    """Recompute the providers marked dirty, a batch at a time, until none is left.

    A batch taken off the dirty set is parked under this runner's own key until its ratings commit.
    Runners (this job, the periodic sweep, the nightly run) take turns on the rating writers' lock, so
    whoever holds it finds parked only batches whose runner died before committing (or committed and
    has not unparked yet: a harmless second look) and puts them back: a killed worker loses no
    provider. A provider whose batch keeps failing is set aside after MAX_ATTEMPTS, so it cannot hold
    up the others forever; the nightly run rates it with everyone."""
    redis, done = get_redis(), 0
    take, put_back = redis.register_script(_TAKE), redis.register_script(_PUT_BACK)
    parked = f"{PARKED}:{uuid.uuid4().hex}"
    while True:
        ratings_data.take_writers_turn()
        dropped = put_back(keys=[PARKED, DIRTY, ATTEMPTS], args=[MAX_ATTEMPTS])
        if dropped:
            current_app.logger.error("ratings of providers %s failed %s times; left to the nightly run",
                                     sorted(int(x) for x in dropped), MAX_ATTEMPTS)
        batch = [int(x) for x in take(keys=[DIRTY, parked, PARKED], args=[BATCH])]
        if not batch:
            db.session.rollback()
            return done
        done += ratings_data.recompute(batch, utcnow())
        db.session.commit()
        with redis.pipeline() as pipe:
            pipe.delete(parked).srem(PARKED, parked).hdel(ATTEMPTS, *batch).execute()


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
