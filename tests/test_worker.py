"""Jobs run by a real RQ worker process against the real Redis the app uses."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from extensions import db
from models import Tender
from services.tasks import queue
from tests.support.factories import tender_payload
from tests.support.worker_processes import run_worker_burst
from workers import jobs
from workers.schedule import CRON, PERIODIC, build_scheduler


@pytest.mark.worker
def test_deadline_job_in_a_worker_process_persists_evaluating(app, api, make_user):
    caller = api(make_user("brand"))
    due = caller.post("/tenders", json=tender_payload(title="Due one")).json["id"]
    later = caller.post("/tenders", json=tender_payload(title="Later one",
                                                        bid_deadline=(datetime.now(UTC) + timedelta(days=30))
                                                        .isoformat())).json["id"]
    with app.app_context():
        db.session.get(Tender, due).bid_deadline = datetime.now(UTC) - timedelta(minutes=5)
        db.session.commit()
        job = queue("periodic").enqueue(jobs.close_passed_deadlines)
    output = run_worker_burst()
    assert "Job OK" in output.stderr + output.stdout
    with app.app_context():
        job.refresh()
        assert job.get_status() == "finished" and job.return_value() == 1
        assert db.session.get(Tender, due).stored_status == "evaluating"
        assert db.session.get(Tender, later).stored_status == "open"
        # Safe to run twice: nothing more changes.
        assert jobs.close_passed_deadlines() == 0


def test_periodic_schedule_registers_every_job_once(app):
    scheduler = build_scheduler(app)
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert list(jobs) == [name for name, *_ in PERIODIC + CRON] and len(jobs) == len(PERIODIC) + len(CRON)
    assert jobs["settle-payouts"].cron == app.config["PAYOUT_CRON"] == "0 2 * * 1"  # weekly by default
    assert jobs["recompute-all-ratings"].cron == app.config["RATINGS_CRON"] == "0 18 * * *"  # 02:00 in China


def test_sweep_with_time_moved_forward(app, api, make_user):
    caller = api(make_user("brand"))
    tid = caller.post("/tenders", json=tender_payload()).json["id"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8), tick=False), app.app_context():
        assert jobs.close_passed_deadlines() == 1
        tender = db.session.get(Tender, tid)
        assert (tender.stored_status, tender.current_round) == ("evaluating", 0)
