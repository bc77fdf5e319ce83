"""Periodic jobs, declared as data with stable names so a restarted scheduler never doubles them."""
from flask import Flask
from rq.cron import CronScheduler

from extensions import get_redis
from workers import jobs

# (name, function, queue, interval in seconds); CRON jobs take a cron string from the config instead.
DAY = 24 * 3600
CRON = [
    ("settle-payouts", jobs.settle_payouts, "periodic", "PAYOUT_CRON"),
    ("recompute-all-ratings", jobs.recompute_all_ratings, "periodic", "RATINGS_CRON"),
]
PERIODIC = [
    ("close-passed-deadlines", jobs.close_passed_deadlines, "periodic", 60),
    ("release-due-milestones", jobs.release_due_milestones, "periodic", 300),
    ("send-pending-refunds", jobs.send_pending_refunds, "periodic", 300),
    ("cancel-superseded-payments", jobs.cancel_superseded_payments, "periodic", 3600),
    ("post-processor-fees", jobs.post_processor_fees, "periodic", 600),
    ("recompute-dirty-ratings", jobs.recompute_dirty_ratings, "periodic", 60),
    ("resume-stale-payout-batch", jobs.resume_stale_payout_batch, "periodic", 600),
    ("reconcile-ledger", jobs.reconcile_ledger, "periodic", DAY),
]


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        scheduler = CronScheduler(connection=get_redis(), name="witkey-cron")
    for name, func, queue_name, interval in PERIODIC:
        scheduler.register(func, queue_name, interval=interval, name=name)
    for name, func, queue_name, setting in CRON:
        scheduler.register(func, queue_name, cron=app.config[setting], name=name, job_timeout=6 * 3600)
    return scheduler


def run_scheduler(app: Flask) -> None:
    build_scheduler(app).start()
