"""Named queues on the app's Redis. Enqueue only after the transaction that a job reads commits."""
from flask import current_app
from rq import Queue

from extensions import get_redis


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())
