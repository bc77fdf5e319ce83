"""Job functions. Each runs inside the app context the worker pushed, opens its own transaction,
and is safe to run twice (RQ delivers at least once)."""
from extensions import db
from services import tenders


def close_passed_deadlines() -> int:
    """Store `evaluating` on tenders whose bid deadline has passed (pages already show it)."""
    count = tenders.persist_passed_deadlines()
    db.session.commit()
    return count


def release_due_milestones() -> dict:
    """Release every delivered milestone whose review period has passed, one transaction each.

    A sweep (not one delayed job per milestone) so nothing is missed if Redis lost a job; each
    release re-checks under a row lock and posts with a unique key, so running twice is harmless."""
    from models.types import utcnow
    from services import escrow

    now = utcnow()
    ids = escrow.due_for_release(now)
    released = 0
    for milestone_id in ids:
        try:
            released += escrow.auto_release(milestone_id, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    reminded = escrow.remind_before_release(now)
    db.session.commit()
    return {"due": len(ids), "released": released, "reminded": reminded}


def send_pending_refunds() -> int:
    """Send owed Stripe refunds (enqueued after a resolution commits, and swept periodically)."""
    from flask import current_app

    from services import disputes

    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return 0
    return disputes.send_pending_refunds()
