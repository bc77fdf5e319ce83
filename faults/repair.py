"""What the campaign does by hand after a failed check, so the next fault starts from a sound state
(each is listed in the report as a repair: the app did not do it by itself)."""
from extensions import db
from faults import checks
from models.types import utcnow
from services import ratings_data
from services.payouts import open_batch
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
