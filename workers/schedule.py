"""Periodic jobs, declared as data with stable names so a restarted scheduler never doubles them."""
from flask import Flask
from rq.cron import CronScheduler

from extensions import get_redis
from workers import jobs

# (name, function, queue, interval in seconds)
DAY = 24 * 3600
PERIODIC = [
    ("close-passed-deadlines", jobs.close_passed_deadlines, "periodic", 60),
    ("release-due-milestones", jobs.release_due_milestones, "periodic", 300),
    ("send-pending-refunds", jobs.send_pending_refunds, "periodic", 300),
    ("recompute-dirty-ratings", jobs.recompute_dirty_ratings, "periodic", 60),
    ("recompute-all-ratings", jobs.recompute_all_ratings, "periodic", DAY),
]


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        scheduler = CronScheduler(connection=get_redis(), name="witkey-cron")
    for name, func, queue_name, interval in PERIODIC:
        scheduler.register(func, queue_name, interval=interval, name=name)
    return scheduler


def run_scheduler(app: Flask) -> None:
    build_scheduler(app).start()
