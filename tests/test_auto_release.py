"""Auto-release: a delivered milestone left untouched for AUTO_RELEASE_DAYS is released by the
periodic sweep — in-process with time moved, and by a real RQ worker process on real Redis."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Milestone
from services import escrow
from services.tasks import queue
from tests.support.worker_processes import run_worker_burst
from workers import jobs


def releases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "release"))


def status(app, milestone_id) -> str:
    with app.app_context():
        return db.session.get(Milestone, milestone_id).status


def test_sweep_releases_exactly_the_due_and_reminds_first(deal, app):
    d = deal()
    d.deposit(450000_00)
    for i in range(3):
        d.fund(i)
    d.deliver(0)
    d.deliver(1)
    d.brand.post(f"/milestones/{d.milestone_ids[1]}/request-changes", json={"note": "Please redo"})
    start = datetime.now(UTC)
    with time_machine.travel(start + timedelta(days=12, hours=1), tick=False), app.app_context():
        assert jobs.release_due_milestones() == {"due": 0, "released": 0, "reminded": 1, "failed": []}
        assert jobs.release_due_milestones()["reminded"] == 0  # reminded once
    kinds = [n["kind"] for n in d.brand.get("/notifications").json["items"]]
    assert "release_reminder" in kinds
    with time_machine.travel(start + timedelta(days=12, hours=2), tick=False):
        d.deliver(2)  # delivered 12 days after the others: its own clock starts then
    with time_machine.travel(start + timedelta(days=14, minutes=5), tick=False), app.app_context():
        assert jobs.release_due_milestones() == {"due": 1, "released": 1, "reminded": 0, "failed": []}
        nothing = {"due": 0, "released": 0, "reminded": 0, "failed": []}
        assert jobs.release_due_milestones() == nothing  # twice: nothing more
    assert [status(app, m) for m in d.milestone_ids] == ["released", "changes_requested", "delivered"]
    assert releases(app) == 1
    assert "milestone_auto_released" in [n["kind"] for n in d.provider.get("/notifications").json["items"]]


@pytest.mark.worker
def test_a_real_worker_process_releases_due_milestones_once(deal, app):
    d = deal()
    d.deposit(450000_00)
    for i in range(3):
        d.fund(i)
        d.deliver(i)
    with app.app_context():  # move the first two deliveries 15 days into the past
        for milestone_id in d.milestone_ids[:2]:
            db.session.get(Milestone, milestone_id).delivered_at = datetime.now(UTC) - timedelta(days=15)
        db.session.commit()
        first = queue("periodic").enqueue(jobs.release_due_milestones)
        second = queue("periodic").enqueue(jobs.release_due_milestones)  # a duplicate delivery of the job
    run_worker_burst()
    with app.app_context():
        first.refresh()
        second.refresh()
        assert (first.get_status(), second.get_status()) == ("finished", "finished"), first.latest_result().exc_string
        assert first.return_value()["released"] + second.return_value()["released"] == 2
    assert [status(app, m) for m in d.milestone_ids] == ["released", "released", "delivered"]
    assert releases(app) == 2
    assert d.staff.get("/ledger/summary").json["total"] == {"CNY": 0}


def test_one_failing_milestone_does_not_stop_the_auto_release_sweep(deal, app, monkeypatch):
    d = deal()
    d.deposit(450000_00)
    for i in range(3):
        d.fund(i)
        d.deliver(i)
    with app.app_context():
        for mid in d.milestone_ids:
            db.session.get(Milestone, mid).delivered_at = datetime.now(UTC) - timedelta(days=15)
        db.session.commit()
    real = escrow.auto_release

    def flaky(milestone_id, now):
        if milestone_id == d.milestone_ids[0]:
            raise RuntimeError("disk full")
        return real(milestone_id, now)

    monkeypatch.setattr(escrow, "auto_release", flaky)
    with app.app_context():
        result = jobs.release_due_milestones()
    assert result["released"] == 2 and result["failed"] == [d.milestone_ids[0]]
    assert [d.milestone(i)["status"] for i in range(3)] == ["delivered", "released", "released"]
