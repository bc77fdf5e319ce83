"""Job functions, named by string in services/tasks.py (`tasks.after_commit("send_pending_refunds")`).
Each runs inside the app context the worker pushed, opens its own transaction, and is safe to run
twice (RQ delivers at least once). The batch work itself lives in services/runners/; a job here is
the worker's entry to it and owns the transaction of what it calls directly."""
from flask import current_app

from extensions import db
from models import User
from models.types import utcnow
from services import (
    contest_handover,
    contest_purchases,
    contests,
    escrow,
    market,
    payouts,
    processor_fees,
    reconciliation,
    stripe_funding,
    tasks,
    tenders,
)
from services.runners import digests, documents, images, mail, outbox, payout_batch, periods, ratings, refunds, webhooks
from texts import notifications as notification_texts


def close_passed_deadlines() -> int:
    """Store `evaluating` on tenders whose bid deadline has passed (pages already show it)."""
    count = tenders.persist_passed_deadlines()
    db.session.commit()
    return count


def release_due_milestones() -> dict:
    """Release every delivered milestone whose review period has passed, one transaction each.

    A sweep (not one delayed job per milestone) so nothing is missed if Redis lost a job; each
    release re-checks under a row lock and posts with a unique key, so running twice is harmless."""
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


def award_due_contests() -> dict:
    """Contests: store `selecting` past the entry deadline, and split the prize of every contest left
    undecided past its selection deadline among its finalists (services.contests.split_if_due), one
    transaction each; the row lock and the award key make a run beside the brand's award harmless.
    Then confirm overdue handovers and expire offers to buy entries left unanswered."""
    closed = contests.persist_passed_deadlines()
    db.session.commit()
    now, done, failed = utcnow(), {}, []
    for contest_id in contests.due_for_split(now):
        try:
            if (outcome := contests.split_if_due(contest_id, now)) is not None:
                done[contest_id] = outcome
            db.session.commit()
        except Exception:  # one bad contest must not hold back the rest; it is retried next sweep
            db.session.rollback()
            current_app.logger.exception("auto-award of contest %s failed", contest_id)
            failed.append(contest_id)
    confirmed = contest_handover.confirm_due(utcnow())
    db.session.commit()
    expired = contest_purchases.expire_due(utcnow())  # offers to buy entries left unanswered
    db.session.commit()
    return {"closed": closed, "decided": done, "failed": failed, "handovers_confirmed": confirmed,
            "offers_expired": expired}


def run_periods() -> dict:
    """Retainer and metered periods: reminders, auto-fund, starts, metered closes (services/runners/periods.py);
    each period in its own transaction, so running twice is harmless."""
    return periods.run(utcnow())


def send_pending_refunds() -> int:
    """Send owed Stripe refunds (queued after a resolution commits, and swept periodically)."""
    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return 0
    return refunds.send_pending_refunds()


def cancel_superseded_payments(milestone_id: int | None = None) -> int:
    """Cancel at Stripe the earlier attempts of milestones another attempt funded (queued by the
    funding webhook; swept periodically, for a queuing that was lost)."""
    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return 0
    cancelled = stripe_funding.cancel_superseded(milestone_id)
    db.session.commit()
    return cancelled


def post_processor_fees(payment_intent_id: str | None = None) -> dict:
    """Post Stripe's fee of each charged payment whose balance transaction the webhook could not read
    (queued by it for one PaymentIntent; swept periodically for all), one transaction each."""
    if not current_app.config.get("STRIPE_SECRET_KEY"):
        return {"posted": 0, "failed": []}
    posted, failed = 0, []
    for payment_id in processor_fees.unposted(payment_intent_id):
        try:
            posted += processor_fees.post_missing(payment_id)
            db.session.commit()
        except Exception:  # Stripe down, or one odd payment: the others still go; the sweep retries it
            db.session.rollback()
            current_app.logger.exception("fee of payment %s not posted", payment_id)
            failed.append(payment_id)
    return {"posted": posted, "failed": failed}


def relay_outbox() -> dict:
    """Queue the jobs that transactions recorded and Redis has not (yet, or any more): services/runners/outbox.py."""
    return outbox.relay()


def recompute_dirty_ratings() -> int:
    """Recompute every provider marked for re-rating by a review, release, decision or completion
    (nudged after their commit; also the periodic sweep)."""
    return ratings.recompute_dirty()


def recompute_all_ratings() -> dict:
    """The nightly full recompute (set-based, with progress), then the partner badges."""
    return ratings.recompute_all()


def recompute_market() -> int:
    """The nightly market insight snapshot (services.market); returns its id."""
    snapshot = market.recompute()
    db.session.commit()
    return snapshot.id


def award_partner_badges() -> int:
    """Rank the half-year's gold and silver partners (queued after each full recompute)."""
    return ratings.award_badges()


def _progress(stage: str, done: int, total: int) -> None:
    tasks.report_progress(done, total, stage)


def run_payout_batch(batch_id: int) -> dict:
    """Collect and pay one settlement batch; a second run (or a run after a crash) resumes it."""
    return payout_batch.run_batch(batch_id, _progress)


def settle_payouts() -> dict:
    """The scheduled settlement: start (or resume) the open batch and run it here; with nothing due
    and no batch open, no empty batch is made."""
    if payouts.open_batch() is None and not payouts.anything_due():
        return {"skipped": "nothing_due"}
    return payout_batch.run_batch(payout_batch.start_batch(None).id, _progress)


def resume_stale_payout_batch() -> dict | None:
    """Take up a batch whose worker died (SIGKILL, OOM, a lost machine)."""
    return payout_batch.resume_stale_batch()


def reconcile_ledger(trigger: str = "schedule", started_by_id: int | None = None) -> dict:
    """The daily reconciliation (and runs staff queue from /finance); differences are recorded for
    finance, never fixed here."""
    run = reconciliation.run(trigger=trigger, started_by=db.session.get(User, started_by_id) if started_by_id else None)
    db.session.commit()
    return {"run_id": run.id, "ok": run.ok, "differences": len(run.differences or [])}


def send_mail(mail_id: int) -> str:
    """Send one outgoing message (queued after the transaction that wrote it commits)."""
    return mail.send(mail_id)


def send_due_mail() -> dict:
    """Send every unsent message that is due: retries after a backoff, and any whose job was lost."""
    return mail.send_due()


def send_daily_digests() -> dict:
    """Each reader's daily digest once its local morning has come (at most one per local date)."""
    return digests.send_due(notification_texts)


def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt at a webhook delivery (queued after the event's transaction commits)."""
    return webhooks.attempt(delivery_id)


def retry_webhooks() -> dict:
    """Attempt every webhook delivery that is due: retries after backoff, and first attempts whose job was lost."""
    return webhooks.retry_due()


def derive_upload(upload_id: int) -> str:
    """Thumbnail and watermarked preview of an uploaded image (a video's poster frame), once it commits."""
    return images.derive(upload_id)


def make_contract_document(contract_id: int) -> str:
    """The contract's PDF, made once after the award commits (services/contract_documents.py)."""
    return documents.make_contract_document(contract_id)
