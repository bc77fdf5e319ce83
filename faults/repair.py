"""What the campaign does by hand after a failed check, so the next fault starts from a sound state
(each is listed in the report as a repair: the app did not do it by itself)."""
from rq.job import Job

from extensions import db, get_redis
from faults import checks
from faults.stack import alive
from models.types import utcnow
from services import ratings_data
from services.payouts import open_batch
from services.rating_jobs import JOB_ID
from services.runners.payout_batch import run_batch


def rerate(provider_ids) -> int:
    stale = checks.stale_ratings(provider_ids)
    if stale:
        ratings_data.recompute(stale, utcnow())
        db.session.commit()
    return len(stale)


def finish_open_batch() -> int | None:
    batch = open_batch()
    if batch is None:
        db.session.rollback()
        return None
    run_batch(batch.id)
    return batch.id


def clear_dead_rating_job() -> bool:
    """The fixed-id rating job, if RQ still calls it started while no worker runs it."""
    redis = get_redis()
    try:
        job = Job.fetch(JOB_ID, connection=redis)
    except Exception:  # noqa: BLE001 - no such job (the usual case), or Redis lost it
        return False
    if job.get_status() != "started":
        return False
    # a SIGKILLed worker stays registered until its key expires; whether its process lives tells
    pid = redis.hget(f"rq:worker:{job.worker_name}", "pid") if job.worker_name else None
    if pid is not None and alive(int(pid)):
        return False
    job.delete()
    return True
