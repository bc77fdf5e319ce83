"""Named queues (issue 21 item 7): `flask worker --queues` serves a subset of RQ_QUEUES, in the order
given, so a machine can run a worker for mail or for documents alone; and the slow CPU jobs (contract PDFs,
image derivatives) queue on `documents`, last, never ahead of settlement and the other money jobs."""
import io

import pytest
from PIL import Image
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import select

from extensions import db, get_redis
from models import OutboxJob
from services import contract_documents, storage, tasks
from services.runners import payout_batch
from services.tasks import queue
from tests.support.worker_processes import run_worker_burst
from workers import jobs
from workers.recovery import BATCH_QUEUE, resume_job_id
from workers.worker import _new_worker, check_queues


def test_the_queues_in_order_and_documents_last(app):
    assert app.config["RQ_QUEUES"] == ["default", "periodic", "mail", "documents"]
    assert check_queues(app, None) == app.config["RQ_QUEUES"]
    assert check_queues(app, ["documents", " mail", "documents"]) == ["documents", "mail"]  # as given, once each
    for wrong in (["mail", "bogus"], [""], ["default", ""], []):
        with pytest.raises(ValueError, match="bogus|name one or more"):
            check_queues(app, wrong)


@pytest.mark.parametrize("value", ["default,bogus", "Mail", "", "default,,mail"])
def test_an_unknown_queue_is_refused_and_nothing_runs(app, value):
    with app.app_context():
        job = queue("default").enqueue(jobs.close_passed_deadlines)
    result = app.test_cli_runner().invoke(args=["worker", "--burst", "--queues", value])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--queues'" in result.output
    assert ("unknown queue" in result.output) == (value not in ("", "default,,mail")), result.output
    assert "the queues are: default, periodic, mail, documents" in result.output
    with app.app_context():
        assert job.get_status() == "queued"


@pytest.mark.worker
def test_a_mail_worker_runs_the_mail_and_leaves_the_default_job_queued(app):
    with app.app_context():
        mail = queue("mail").enqueue(jobs.send_due_mail)
        money = queue("default").enqueue(jobs.close_passed_deadlines)
        document = queue("documents").enqueue(jobs.make_contract_document, 1)
    output = run_worker_burst("--queues", "mail")
    assert "Job OK" in output.stderr + output.stdout
    with app.app_context():
        assert mail.get_status() == "finished"
        assert money.get_status() == "queued" and queue("default").get_job_ids() == [money.id]
        assert document.get_status() == "queued"


def test_a_worker_takes_its_queues_in_the_order_given(app):
    """RQ takes the first job of the first non-empty queue in the worker's list: a worker on
    `documents,default` renders first; one on every queue (documents last) takes the money job first."""
    for names, first in ((["documents", "default"], "documents"), (None, "default")):
        with app.app_context():
            document = queue("documents").enqueue(jobs.make_contract_document, 10**9)  # no such contract: quick
            money = queue("default").enqueue(jobs.close_passed_deadlines)
            SimpleWorker(check_queues(app, names), connection=get_redis()).work(burst=True)
            for job in (document, money):
                job.refresh()
                assert job.get_status() == "finished"
            order = sorted((job.started_at, job.origin) for job in (document, money))
            assert [origin for _, origin in order] == [first, ({"documents", "default"} - {first}).pop()]


def test_contract_documents_and_image_derivatives_queue_on_documents(app, make_user):
    with app.app_context():
        contract_documents.queue(type("Contract", (), {"id": 10**9})())
        picture = io.BytesIO()
        Image.new("RGB", (64, 64), "red").save(picture, "PNG")
        picture.seek(0)
        storage.save(picture, "a.png", "deliveries", make_user("provider").id)
        db.session.commit()
        rows = {row.name: row.queue for row in db.session.scalars(select(OutboxJob))}
        assert rows == {"make_contract_document": "documents", "derive_upload": "documents"}
        queued = {Job.fetch(job_id, connection=get_redis()).func_name for job_id in queue("documents").get_job_ids()}
        assert queued == {"workers.jobs.make_contract_document", "workers.jobs.derive_upload"}
        assert queue("default").count == 0


def test_a_mail_only_worker_starting_queues_a_dead_batch_on_the_batch_queue(app):
    """Taking up a batch left without a run queues it for the workers that run batches, whichever worker
    starts: a mail-only worker queues it on default, and does not run it."""
    with app.app_context():
        batch_id = payout_batch.start_batch(None).id
        db.session.commit()
    worker = _new_worker(app, ["mail"])
    assert [q.name for q in worker.queues] == ["mail"]
    with app.app_context():
        assert Queue(BATCH_QUEUE, connection=get_redis()).get_job_ids() == [resume_job_id(batch_id)]
        assert queue("mail").count == 0
        assert tasks.status(resume_job_id(batch_id)).status == "queued"
