"""The recompute job, nudged after each event's commit: a failed or killed run never stops the next."""
import threading
import time

import pytest
from rq import SimpleWorker
from rq.registry import StartedJobRegistry
from sqlalchemy import func, select, text

from extensions import db, get_redis
from models import ProviderRating, RatingMark
from services import rating_jobs, ratings_data
from services.runners import ratings as rating_runner
from services.tasks import queue
from tests.support.worker_processes import kill_worker, run_worker_burst, start_worker


def event_for(provider_id: int) -> None:
    rating_jobs.request_recompute(provider_id)
    db.session.commit()


def test_events_queue_a_job_again_after_the_last_one_failed(app, monkeypatch):
    def fails(*_args):
        raise RuntimeError("database restarting")

    with app.app_context():
        default = queue("default")
        event_for(1)
        monkeypatch.setattr(ratings_data, "recompute", fails)
        SimpleWorker([default], connection=get_redis()).work(burst=True)
        monkeypatch.undo()
        assert db.session.scalar(select(func.count()).select_from(RatingMark)) == 1  # the failed run lost nothing
        for provider_id in (2, 3):
            event_for(provider_id)
        assert default.count == 1  # the two events: one job
        SimpleWorker([default], connection=get_redis()).work(burst=True)
        # 2 and 3 were rated; 1 waits for its lease to pass (the next run, or the sweep, takes it)
        assert db.session.scalars(select(RatingMark.provider_id)).all() == [1]


def test_a_burst_of_events_queues_one_job_while_it_waits(app):
    with app.app_context():
        for _ in range(20):
            event_for(5)
        assert queue("default").count == 1
        assert db.session.scalar(select(func.count()).select_from(RatingMark)) == 20


@pytest.mark.worker
def test_a_run_killed_while_started_does_not_hold_back_the_next_event(track_record, app):
    """SIGKILL of the whole worker while its recompute run is started: the next event is recomputed by
    the next worker at once, not after the killed job's timeout (the old fixed-id job stayed "started"
    for minutes and swallowed every nudge). Bound: no waiting beyond the next worker's start."""
    _, provider_id, _ = track_record(1)
    with app.app_context():
        db.session.execute(text("DELETE FROM rating_marks"))
        db.session.commit()
        queue("default").empty()
        get_redis().delete(rating_jobs.NUDGED)
        event_for(999_999)  # a first event: its run will hang on the database, then be killed
        job_id = queue("default").job_ids[0]
        blocker = db.engine.connect()  # holds the write lock (SQLite) / the rating writers' turn (PostgreSQL)
    if blocker.dialect.name == "sqlite":
        blocker.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        blocker.execute(select(func.pg_advisory_xact_lock(ratings_data.WRITERS_LOCK)))  # until rollback
    worker = start_worker()
    try:
        with app.app_context():
            job = queue("default").fetch_job(job_id)
            deadline = time.monotonic() + 30
            while job.get_status() != "started" and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)  # now in the recompute, waiting on the database
            assert job_id in StartedJobRegistry("default", connection=get_redis()).get_job_ids()
        kill_worker(worker)
    finally:
        blocker.rollback()
        blocker.close()
    began = time.monotonic()
    with app.app_context():
        assert queue("default").fetch_job(job_id).get_status() == "started"  # as RQ left it
        event_for(provider_id)
        assert queue("default").count == 1  # the next event queued a run at once
    run_worker_burst()
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(ProviderRating.provider_id == provider_id)) == 1
    # the old design waited out the killed job's timeout (RQ's default: 180 s); a new worker's start on a
    # loaded CI machine can take tens of seconds, so the bound sits between the two
    assert time.monotonic() - began < 120


@pytest.mark.postgres
def test_concurrent_runners_never_take_the_same_marks_and_leave_none(app, monkeypatch):
    """Four runners at once over 120 marks in batches of 7: each mark is taken (FOR UPDATE SKIP LOCKED)
    and rated by exactly one of them, and none is left behind."""
    with app.app_context():
        for provider_id in range(1, 121):
            rating_jobs.request_recompute(provider_id)
        db.session.commit()
    real, rated, lock = ratings_data.recompute, [], threading.Lock()

    def recording(ids, now):
        with lock:
            rated.append(list(ids))
        time.sleep(0.005)
        return real(ids, now)

    monkeypatch.setattr(ratings_data, "recompute", recording)
    monkeypatch.setattr(rating_runner, "BATCH", 7)
    errors = []

    def runner():
        try:
            with app.app_context():
                rating_runner.recompute_dirty()
                db.session.remove()
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    taken = [provider_id for batch in rated for provider_id in batch]
    assert sorted(taken) == list(range(1, 121))  # every provider once, none twice
    assert len(rated) > 4  # in many batches, across the runners
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RatingMark)) == 0
