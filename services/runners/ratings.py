"""The rating runners: the event path's batches and the nightly full recompute. Each commits as it
goes (they run in a worker, not in a request). Marks come from services/rating_jobs.py."""
import uuid

from flask import current_app

from extensions import db, get_redis
from models.types import utcnow
from services import directory, ratings_data, tasks
from services.rating_jobs import ATTEMPTS, DIRTY, MAX_ATTEMPTS, PARKED

BATCH = 500


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
    run = ratings_data.recompute_everyone(utcnow(), progress=tasks.report_progress)
    tasks.after_commit("award_partner_badges")
    db.session.commit()
    return {"providers": run.providers, "changed": run.changed}


def award_badges() -> int:
    """The current half-year's partner badges from the current ratings (directory.award_badges)."""
    holders = directory.award_badges(utcnow())
    db.session.commit()
    return holders
