"""Periodic jobs, declared as data with stable names so a restarted scheduler never doubles them.

The scheduler outlives Redis: RQ's CronScheduler ends when a Redis call fails, so run_scheduler
waits for Redis with backoff (logged) and starts it again; SIGTERM or Ctrl-C stops it."""
import logging
import threading
import time

from flask import Flask
from rq.cron import CronScheduler

from extensions import get_redis
from runtime.supervisor import Backoff
from services.runners.outbox import RELAY_EVERY
from workers import jobs
from workers.worker import REDIS_DOWN, STABLE_AFTER, own_signals, wait, wait_for_redis

log = logging.getLogger("witkey.scheduler")

# (name, function, queue, interval in seconds); CRON jobs take a cron string from the config instead.
DAY = 24 * 3600
CRON = [
    ("settle-payouts", jobs.settle_payouts, "periodic", "PAYOUT_CRON"),
    ("recompute-all-ratings", jobs.recompute_all_ratings, "periodic", "RATINGS_CRON"),
    ("recompute-market", jobs.recompute_market, "periodic", "MARKET_CRON"),
]
PERIODIC = [
    ("relay-outbox", jobs.relay_outbox, "periodic", RELAY_EVERY),
    ("close-passed-deadlines", jobs.close_passed_deadlines, "periodic", 60),
    ("release-due-milestones", jobs.release_due_milestones, "periodic", 300),
    ("award-due-contests", jobs.award_due_contests, "periodic", 300),
    ("run-periods", jobs.run_periods, "periodic", 300),
    ("send-pending-refunds", jobs.send_pending_refunds, "periodic", 300),
    ("cancel-superseded-payments", jobs.cancel_superseded_payments, "periodic", 3600),
    ("post-processor-fees", jobs.post_processor_fees, "periodic", 600),
    ("recompute-dirty-ratings", jobs.recompute_dirty_ratings, "periodic", 15),
    ("resume-stale-payout-batch", jobs.resume_stale_payout_batch, "periodic", 600),
    ("reconcile-ledger", jobs.reconcile_ledger, "periodic", DAY),
    ("send-due-mail", jobs.send_due_mail, "mail", 60),
    # every 15 minutes: a reader's digest leaves within 15 minutes of DIGEST_HOUR in its own zone
    ("send-daily-digests", jobs.send_daily_digests, "mail", 900),
    ("retry-webhooks", jobs.retry_webhooks, "periodic", 30),
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
    stopping, backoff = threading.Event(), Backoff()
    while not stopping.is_set():
        started = time.monotonic()
        try:
            build_scheduler(app).start()  # returns on SIGTERM / Ctrl-C (RQ's handlers), raises when Redis drops
            return
        except REDIS_DOWN as exc:
            log.warning("scheduler lost Redis: %s", exc)
        own_signals(stopping)
        if time.monotonic() - started >= STABLE_AFTER:
            backoff.reset()
        wait(stopping, backoff.next_delay(), "scheduler stopped")
        wait_for_redis(app, stopping, backoff)
