"""The worker entry: one process that builds the app once and runs every job in its context."""
from flask import Flask
from rq import Worker
from rq.job import Job

from extensions import db, get_redis


class AppWorker(Worker):
    """Pushes the app context in the work horse, and gives the forked child fresh DB connections
    (a connection inherited across fork would be shared with the parent)."""

    app: Flask

    def perform_job(self, job: Job, queue, *args, **kwargs) -> bool:
        with self.app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()


def run_worker(app: Flask, *, burst: bool = False) -> None:
    with app.app_context():
        AppWorker.app = app
        worker = AppWorker(app.config["RQ_QUEUES"], connection=get_redis())
    worker.work(burst=burst, with_scheduler=False)
