"""Job functions. Each runs inside the app context the worker pushed, opens its own transaction,
and is safe to run twice (RQ delivers at least once)."""
from flask import current_app

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
    failed = []
    for milestone_id in ids:
        try:
            released += escrow.auto_release(milestone_id, now)
            db.session.commit()
        except Exception:  # one bad milestone must not hold back the rest; it is retried next sweep
            db.session.rollback()
            current_app.logger.exception("auto-release of milestone %s failed", milestone_id)
            failed.append(milestone_id)
    reminded = escrow.remind_before_release(now)
    db.session.commit()
    return {"due": len(ids), "released": released, "reminded": reminded, "failed": failed}


def send_pending_refunds() -> int:
    """Send owed Stripe refunds (enqueued after a resolution commits, and swept periodically)."""
    from flask import current_app

    from services import disputes

    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return 0
    return disputes.send_pending_refunds()


def recompute_dirty_ratings() -> int:
    """Recompute every provider marked dirty by a review, release, decision or completion."""
    from services import rating_jobs

    return rating_jobs.recompute_dirty()


def recompute_all_ratings() -> dict:
    """The nightly full recompute (set-based, with progress), then the partner badges."""
    from services import rating_jobs

    return rating_jobs.recompute_all()


def award_partner_badges() -> int:
    """Rank the half-year's gold and silver partners (enqueued after each full recompute)."""
    from services import rating_jobs

    return rating_jobs.award_badges()


def _progress(stage: str, done: int, total: int) -> None:
    from workers.queues import report_progress

    report_progress(done, total, stage)


def run_payout_batch(batch_id: int) -> dict:
    """Collect and pay one settlement batch; a second run (or a run after a crash) resumes it."""
    from services import payouts

    return payouts.run_batch(batch_id, _progress)


def settle_payouts() -> dict:
    """The scheduled settlement: start (or resume) the open batch and run it here."""
    from services import payouts

    return payouts.run_batch(payouts.start_batch(None).id, _progress)


def resume_stale_payout_batch() -> dict | None:
    """Take up a batch whose worker died mid-way (SIGKILL, OOM, a lost machine)."""
    from services import payouts

    return payouts.resume_stale_batch()


def reconcile_ledger() -> dict:
    """The daily reconciliation; differences are recorded for finance, never fixed here."""
    from services import reconciliation

    run = reconciliation.run()
    db.session.commit()
    return {"run_id": run.id, "ok": run.ok, "differences": len(run.differences or [])}
