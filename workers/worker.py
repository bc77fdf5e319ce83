"""The worker entry: one process that builds the app once and runs every job in its context.

It outlives Redis. RQ retries a lost connection while it waits for jobs, but one lost while a job
runs (or while it registers, heartbeats or cleans up) ends its work loop. Then this waits for the
job's work horse, pings Redis with backoff (1 s doubling to 30 s, logged) until it answers, and starts
a new RQ worker on the same queues; SIGTERM or Ctrl-C stops it at any point. The job that was
running is left to RQ and the sweeps, like any job whose worker died (jobs are safe to run twice).

It serves the app's queues (config RQ_QUEUES), or the subset `flask worker --queues` names, in that
order: RQ takes the first job of the first non-empty queue. On every start, and when RQ reports an
abandoned settlement-batch job, a batch whose run died is queued again (workers/recovery.py)."""
import logging
import os
import signal
import threading
import time

import redis
from flask import Flask
from rq import Worker
from rq.exceptions import StopRequested
from rq.job import Job

from extensions import db, get_redis
from runtime.supervisor import Backoff
from workers import recovery

log = logging.getLogger("witkey.worker")
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
STABLE_AFTER = 60.0  # a worker loop that lasted this long restarts after the shortest pause again


class AppWorker(Worker):
    """Pushes the app context in the work horse, and gives the forked child fresh DB connections
    (a connection inherited across fork would be shared with the parent)."""

    app: Flask
    stopping: threading.Event = threading.Event()

    def perform_job(self, job: Job, queue, *args, **kwargs) -> bool:
        with self.app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue, *args, **kwargs)
            finally:
                db.session.remove()

    def request_stop(self, signum, frame):
        """Remember that a stop was asked for, so the loop in run_worker ends too (RQ's own handler
        asks Redis for the worker's state: with Redis down it stops at once)."""
        self.stopping.set()
        try:
            super().request_stop(signum, frame)
        except REDIS_DOWN:
            raise StopRequested() from None


def run_worker(app: Flask, *, burst: bool = False, queues: list[str] | None = None) -> None:
    """`queues`: the names this worker serves, in order (None: all of RQ_QUEUES)."""
    queues = check_queues(app, queues)
    AppWorker.app = app
    AppWorker.stopping = stopping = threading.Event()
    if burst:  # tests and one-off runs: the queues once, no waiting for Redis
        _new_worker(app, queues).work(burst=True, with_scheduler=False)
        return
    backoff = Backoff()
    while not stopping.is_set():
        started, worker = time.monotonic(), None
        try:
            worker = _new_worker(app, queues)
            worker.work(burst=False, with_scheduler=False)
        except REDIS_DOWN as exc:  # RQ's loop ended on it, or its clean-up did (register_death)
            log.warning("worker lost Redis: %s", exc)
        own_signals(stopping)
        if stopping.is_set():
            break
        _reap_horse(worker, stopping)
        if time.monotonic() - started >= STABLE_AFTER:
            backoff.reset()
        wait(stopping, backoff.next_delay(), "worker loop ended; starting a new one")
        wait_for_redis(app, stopping, backoff)


def check_queues(app: Flask, queues: list[str] | None) -> list[str]:
    """The queues a worker serves: all of RQ_QUEUES when None, else the names given, in their order, once
    each; ValueError naming any that is not one of RQ_QUEUES (RQ would otherwise listen on it, silently)."""
    known = app.config["RQ_QUEUES"]
    if queues is None:
        return list(known)
    names = list(dict.fromkeys(name.strip() for name in queues))
    if not names or "" in names:
        raise ValueError(f"name one or more queues, comma-separated (the queues are: {', '.join(known)})")
    if unknown := [name for name in names if name not in known]:
        raise ValueError(f"unknown queue {', '.join(map(repr, unknown))} (the queues are: {', '.join(known)})")
    return names


def _new_worker(app: Flask, queues: list[str]) -> AppWorker:
    """An RQ worker on `queues`, after taking up a settlement batch left without a run.

    Every worker checks for one when it starts, whatever queues it serves: a mail- or documents-only
    worker too. Taking it up only queues the batch on the queue that runs batches (recovery.BATCH_QUEUE,
    under one job id per batch), never on this worker's own; a worker on that queue runs it. The check
    reads every queue's jobs, not just this worker's, to see a live run. A worker that restarts is a
    moment to check, whichever it is (after a machine restarts, the mail worker may be first back), and
    queuing the batch where no worker serves it yet loses nothing: it waits there as it would for the
    stale-batch sweep. RQ's abandoned-job report, by contrast, comes only from the registries of the
    worker's own queues, so only workers on default or periodic (where batch jobs run) get it."""
    with app.app_context():
        worker = AppWorker(queues, connection=get_redis(), exception_handlers=[recovery.on_abandoned_job(app)])
        try:
            recovery.resume_dead_batch()
        except Exception:  # best effort: the stale-batch sweep is still there
            app.logger.exception("could not check for a settlement batch left without a run")
        finally:
            db.session.remove()
    return worker


def _reap_horse(worker: AppWorker | None, stopping: threading.Event) -> None:
    """Wait for the work horse of the job that was running (it finishes on its own, or its job timeout
    ends it); on a stop, end it."""
    pid = worker.horse_pid if worker is not None else 0
    while pid:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        if stopping.is_set():
            os.kill(pid, signal.SIGTERM)
            stopping.wait(5)
        stopping.wait(0.5)


def wait_for_redis(app: Flask, stopping: threading.Event, backoff: Backoff) -> None:
    """Ping Redis until it answers (or a stop), pausing with `backoff` between tries."""
    while not stopping.is_set():
        try:
            with app.app_context():
                get_redis().ping()
            return
        except REDIS_DOWN as exc:
            wait(stopping, backoff.next_delay(), f"Redis unreachable ({exc})")


def own_signals(stopping: threading.Event) -> None:
    """RQ's handlers belong to the loop that ended; from here a signal only ends ours."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())


def wait(stopping: threading.Event, delay: float, why: str) -> None:
    log.warning("%s; retrying in %.0f s", why, delay)
    stopping.wait(delay)
