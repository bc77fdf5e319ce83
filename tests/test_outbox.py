"""The transactional outbox (services/tasks.after_commit, services/runners/outbox.py): a job asked for in
a committed transaction runs, whatever Redis did at the commit — down, racing, failing the job, or
emptied — and the committed write is answered as the success it is."""
from datetime import timedelta

import time_machine
from flask import current_app
from rq import Queue, SimpleWorker
from rq.exceptions import DuplicateJobError, InvalidJobOperation
from rq.job import Job
from sqlalchemy import func, select

from extensions import db, get_redis
from models import OutboxJob, PayoutBatch, RatingMark, ReconciliationRun
from models.types import utcnow
from services import reconciliation, tasks
from services.runners import outbox
from services.tasks import queue
from tests.support.payout_fixtures import give_earnings
from tests.support.web import form_post
from workers import jobs

GOOD = {"quality": 5, "communication": 5, "timeliness": 4, "professionalism": 5}


def rows(app) -> list[tuple[str, str, int, str | None]]:
    with app.app_context():
        return [(row.name, row.rq_job_id, row.attempts, row.last_error)
                for row in db.session.scalars(select(OutboxJob).order_by(OutboxJob.id))]


def relay(after: timedelta = timedelta(0)) -> dict:
    """The periodic relay, run `after` past the grace it leaves to the push after commit."""
    with time_machine.travel(utcnow() + tasks.PUSH_GRACE + after + timedelta(seconds=1)):
        return outbox.relay()


def run_queued() -> None:
    """Every queue's jobs (a notification also queues its e-mail on `mail`)."""
    SimpleWorker([queue(name) for name in current_app.config["RQ_QUEUES"]], connection=get_redis()).work(burst=True)


def batch_status(app, batch_id: int) -> str:
    with app.app_context():
        return db.session.get(PayoutBatch, batch_id).status


def test_a_committed_api_write_is_answered_while_redis_is_down_and_its_job_runs_once_it_is_back(
        app, api, make_user, earnings, redis_down):
    earnings(1)
    staff = api(make_user("admin"))
    with redis_down():
        r = staff.post("/payouts/run")
    assert r.status_code == 202, r.json  # the batch was started, and is said to be
    job_id = r.json["job_id"]
    assert rows(app) == [("run_payout_batch", job_id, 0, None)]  # recorded with it
    with app.app_context():
        assert queue("default").count == 0  # the push after commit failed
        assert relay() == {"done": 0, "waiting": 0, "queued": 1, "failed": 0}
        run_queued()
    assert batch_status(app, r.json["batch_id"]) == "closed"  # the job ran: collected and closed
    assert staff.get(f"/jobs/{job_id}").json["status"] == "finished"  # under the id the client was given
    assert rows(app) == []  # done


def test_a_committed_form_is_answered_while_redis_is_down_and_its_job_runs_once_it_is_back(
        app, make_user, login, earnings, redis_down):
    earnings(1)
    client = login(make_user("admin"))
    with redis_down():
        r = form_post(client, "/payouts/batches/run", {}, page="/payouts/batches")
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    [(name, job_id, _, _)] = rows(app)
    assert name == "run_payout_batch"
    with app.app_context():
        batch_id = db.session.scalar(select(PayoutBatch.id))
        with redis_down():
            assert relay()["failed"] == 1  # still down: recorded, tried again later
        [(_, _, attempts, error)] = rows(app)
        assert attempts == 1 and error.startswith("Redis: ") and "onnect" in error
        assert relay(after=outbox.backoff(1))["queued"] == 1
        run_queued()
    assert batch_status(app, batch_id) == "closed"
    assert rows(app) == []


def test_the_enqueue_race_never_escapes_and_the_relay_runs_what_it_kept_from_queuing(
        app, api, make_user, track_record, monkeypatch):
    """`DuplicateJobError` from the queue and `InvalidJobOperation` from a job's status (a job finished and
    deleted while it was looked at) never reach a committed write; what they kept from the queue runs."""
    _, provider_id, [(brand, contract)] = track_record(1)
    staff = api(make_user("admin"))
    with app.app_context():
        run_queued()  # the award's contract document is made: only what this test keeps from the queue is left
        queue("default").empty()
        give_earnings([provider_id], 500_00)  # someone is due: a batch is started only then

    def duplicate(*_args, **_kwargs):
        raise DuplicateJobError("a job with this id exists")

    def deleted(*_args, **_kwargs):
        raise InvalidJobOperation("job deleted")

    monkeypatch.setattr(Queue, "enqueue", duplicate)
    monkeypatch.setattr(Job, "get_status", deleted)
    r = brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "Great"})
    assert r.status_code == 201, r.json
    run = staff.post("/payouts/run")
    assert run.status_code == 202, run.json
    r = brand.post(f"/contracts/{contract}/reviews", json={"scores": GOOD, "comment": "Again"})
    assert r.status_code == 409  # the second review is refused as usual, not a 500
    monkeypatch.undo()
    with app.app_context():
        assert queue("default").count == 0
        assert provider_id in db.session.scalars(select(RatingMark.provider_id)).all()
        assert relay()["queued"] == 1
        run_queued()
        assert jobs.recompute_dirty_ratings() >= 1  # the sweep takes the mark
    assert batch_status(app, run.json["batch_id"]) == "closed"
    assert rows(app) == []


def test_the_relay_queues_again_a_job_that_failed_or_vanished_with_backoff(app, monkeypatch):
    with app.app_context():
        tasks.after_commit("reconcile_ledger")
        tasks.after_commit("reconcile_ledger")  # twice in one transaction: once
        db.session.commit()
        assert queue("default").count == 1  # pushed after the commit
        monkeypatch.setattr(reconciliation, "run", lambda **_: (_ for _ in ()).throw(RuntimeError("ledger locked")))
        run_queued()  # the job fails
        [(_, job_id, attempts, _)] = rows(app)
        assert attempts == 0  # kept while its job has not run
        assert relay()["queued"] == 1
        assert rows(app) == [("reconcile_ledger", job_id, 1, "RuntimeError: ledger locked")]
        assert outbox.relay() == {"done": 0, "waiting": 0, "queued": 0, "failed": 0}  # not again before backoff
        monkeypatch.undo()
        get_redis().flushdb()  # Redis restarted without its data: the job queued again is gone too (this
        # test process's database only: FLUSHALL on the shared CI Redis emptied the other workers' too)
        assert relay(after=outbox.backoff(1))["queued"] == 1
        assert rows(app) == [("reconcile_ledger", job_id, 2, "its job was not in Redis")]
        run_queued()
        assert db.session.scalar(select(func.count()).select_from(ReconciliationRun)) == 1
    assert rows(app) == []  # deleted once its job ran


def test_a_job_still_queued_is_left_alone_and_one_that_ran_is_cleared(app):
    with app.app_context():
        tasks.after_commit("reconcile_ledger")
        db.session.commit()
        assert relay() == {"done": 0, "waiting": 1, "queued": 0, "failed": 0}  # queued: not twice
        assert queue("default").count == 1
        job_id = rows(app)[0][1]
        Job.fetch(job_id, connection=get_redis()).perform()  # ran, but its success callback never did
        Job.fetch(job_id, connection=get_redis()).set_status("finished")
        assert relay(after=outbox.CHECK_AGAIN)["done"] == 1
    assert rows(app) == []


def test_the_relay_queues_each_job_again_on_its_own_queue(app, redis_down):
    """A contract document (on `documents`) and a mail (on `mail`) whose pushes were lost, and later lost
    again with Redis's data, are queued again each on its own queue, never on default."""
    with app.app_context():
        with redis_down():
            tasks.after_commit("make_contract_document", 10**9, queue_name="documents")
            tasks.after_commit("send_due_mail", queue_name="mail")
            db.session.commit()  # both pushes after the commit fail
        assert relay()["queued"] == 2
        on = {name: [Job.fetch(i, connection=get_redis()).func_name for i in queue(name).get_job_ids()]
              for name in current_app.config["RQ_QUEUES"]}
        assert on == {"default": [], "periodic": [], "mail": ["workers.jobs.send_due_mail"],
                      "documents": ["workers.jobs.make_contract_document"]}
        get_redis().flushdb()  # Redis restarted without its data
        assert relay(after=outbox.backoff(1))["queued"] == 2
        assert [queue(name).count for name in current_app.config["RQ_QUEUES"]] == [0, 0, 1, 1]
        run_queued()
    assert rows(app) == []  # both ran where they were queued
