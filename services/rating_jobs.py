"""When ratings are recomputed — the marking side. Events (a review, a release, a decision, a completed
contract) mark the provider dirty in Redis once their transaction commits, and queue one de-duplicated
job (fixed id) that recomputes every dirty provider; a nightly job recomputes everyone in set-based SQL.
The runners that do the recomputing, and commit, are in services/runners/ratings.py."""
from extensions import get_redis
from services import tasks
from services.after_commit import on_commit_batch

DIRTY = "witkey:ratings:dirty"
PARKED = "witkey:ratings:parked"  # the keys of the batches runners have taken and not yet committed
ATTEMPTS = "witkey:ratings:attempts"  # provider id → runs that took it up and died
MAX_ATTEMPTS = 3
JOB_ID = "ratings-dirty"


def request_recompute(provider_id: int) -> None:
    """Ask for a recompute of this provider once the current transaction commits."""
    on_commit_batch(_mark_dirty, provider_id)


def _mark_dirty(provider_ids: tuple[int, ...]) -> None:
    get_redis().sadd(DIRTY, *provider_ids)  # every provider of the transaction in one round trip
    # One job id for all: a burst of events queues one job (result_ttl=0 frees the id when done); a
    # duplicate that is queued or running takes this provider too.
    tasks.enqueue_unique("recompute_dirty_ratings", job_id=JOB_ID, result_ttl=0)
