"""Settlement batches on the bank backend: who is paid, how much, once; finance marks bank payouts."""
import csv
import io

import pytest
from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Notification, OutboxJob, Payout, PayoutAccount, PayoutBatch, User
from services import ledger, payouts
from services.runners import payout_batch
from services.tasks import queue
from tests.support.payout_fixtures import backdate, credit, give_earnings, payable_balance
from tests.support.worker_processes import run_worker_burst


def run_batch(app) -> dict:
    with app.app_context():
        return payout_batch.run_batch(payout_batch.start_batch(None).id)


def payouts_of(app, provider_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Payout).where(Payout.provider_id == provider_id).order_by(Payout.id))
        return [(p.amount, p.status) for p in rows]


def test_released_money_past_the_hold_is_paid_once_and_moves_to_clearing(app, deal):
    d = deal(amounts=(100000_00, 50000_00, 50000_00))
    d.deposit(200000_00)
    for i in (0, 1):
        d.fund(i), d.deliver(i), d.accept(i)
    provider_id = d.provider.get("/me").json["id"]
    with app.app_context():
        db.session.add(PayoutAccount(provider_id=provider_id, bank_account_name="Shanghai Lens Ltd",
                                     bank_name="ICBC Shanghai Branch", bank_account_number="6222020200112233445"))
        backdate(f"release:milestone:{d.milestone_ids[0]}", 8)  # past the 7-day hold
        db.session.commit()
    summary = run_batch(app)
    net_first = 100000_00 - ledger.commission_of(100000_00, 1000)
    assert summary["payouts"] == 1 and summary["totals"] == {"CNY": net_first}
    assert payouts_of(app, provider_id) == [(net_first, "pending")]
    with app.app_context():
        # Only the money still on hold (the second release, accepted today) stays payable.
        assert payable_balance(provider_id) == 50000_00 - ledger.commission_of(50000_00, 1000)
        posting = db.session.scalar(select(LedgerPosting).where(LedgerPosting.kind == "payout"))
        assert posting.key == f"payout:{db.session.scalar(select(Payout.id))}"
        assert sorted(e.amount for e in posting.entries) == [-net_first, net_first]
        assert ledger.unbalanced_postings() == [] and ledger.summary()[1] == {"CNY": 0}
    # The batch closed (bank payouts wait for finance); another batch pays nothing twice.
    assert run_batch(app)["payouts"] == 0
    assert payouts_of(app, provider_id) == [(net_first, "pending")]


def test_minimum_hold_and_destination_decide_who_is_in_the_batch(app, earnings):
    paid, small, recent = earnings(3, amount=200_00)
    with app.app_context():
        credit(small, -150_00, key="adjust-small")  # leaves 50.00, under PAYOUT_MIN (100.00)
        credit(recent, 300_00, key="recent-release")  # today: still on hold, only the old 200.00 goes
        db.session.get(PayoutAccount, paid).bank_account_number = ""  # no bank details: cannot be paid
        db.session.commit()
    run_batch(app)
    assert payouts_of(app, paid) == [] and payouts_of(app, small) == []
    assert payouts_of(app, recent) == [(200_00, "pending")]
    with app.app_context():
        assert payable_balance(paid) == 200_00 and payable_balance(recent) == 300_00


def test_starting_twice_resumes_the_one_open_batch(app, earnings):
    earnings(5)
    with app.app_context():
        first = payout_batch.start_batch(None)
        second = payout_batch.start_batch(None)
        assert first.id == second.id
        payout_batch.run_batch(first.id)
        payout_batch.run_batch(first.id)  # the same batch run again: nothing more
        assert db.session.query(Payout).count() == 5
        assert db.session.scalar(select(PayoutBatch.status).where(PayoutBatch.id == first.id)) == "closed"
        assert payout_batch.start_batch(None).id != first.id  # closed: the next run is a new batch


def test_finance_marks_bank_payouts_paid_or_failed_and_a_failure_returns_the_money(app, api, make_user, earnings):
    ok, bounced = earnings(2, amount=800_00)
    run_batch(app)
    staff = api(make_user("admin"))
    with app.app_context():
        ids = {p.provider_id: p.id for p in db.session.scalars(select(Payout))}
        batch_id = db.session.scalar(select(PayoutBatch.id))
        rows = list(csv.DictReader(io.StringIO(payouts.bank_file(batch_id))))
    assert [(r["provider_id"], r["amount"], r["currency"]) for r in rows] == [
        (str(ok), "800.00", "CNY"), (str(bounced), "800.00", "CNY")]
    key = {"Idempotency-Key": "mark-paid-1"}
    r = staff.post(f"/admin/payouts/{ids[ok]}/paid", json={"reference": "ICBC-20261122-001"}, headers=key)
    assert r.status_code == 200 and r.json["status"] == "paid" and r.json["bank_reference"] == "ICBC-20261122-001"
    again = staff.post(f"/admin/payouts/{ids[ok]}/paid", json={"reference": "ICBC-20261122-001"}, headers=key)
    assert again.status_code == 200 and again.json == r.json  # a retry replays; nothing posts twice
    twice = staff.post(f"/admin/payouts/{ids[ok]}/paid", json={"reference": "ICBC-OTHER"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_settled"
    failed = staff.post(f"/admin/payouts/{ids[bounced]}/failed", json={"reason": "Account closed"})
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    assert staff.post(f"/admin/payouts/{ids[bounced]}/failed", json={"reason": "x"}).status_code == 422
    with app.app_context():
        assert payable_balance(ok) == 0 and payable_balance(bounced) == 800_00
        kinds = {p.key: p.kind for p in db.session.scalars(select(LedgerPosting).where(
            LedgerPosting.kind.in_(("payout_paid", "payout_reversal"))))}
        assert kinds == {f"payout-paid:{ids[ok]}": "payout_paid", f"payout-failed:{ids[bounced]}": "payout_reversal"}
        clearing = ledger.clearing("payouts_clearing", "CNY")
        assert ledger.balance(clearing) == 0
        told = db.session.scalar(select(Notification).where(Notification.user_id == bounced,
                                                             Notification.kind == "payout_failed"))
        assert told.params["reason"] == "Account closed"
        assert payouts.bank_file(batch_id).count("\n") == 1  # nothing pending is left in the file
    # The returned money was held already: the next batch pays it at once.
    run_batch(app)
    assert payouts_of(app, bounced) == [(800_00, "failed"), (800_00, "pending")]


@pytest.mark.worker
def test_payouts_api_runs_a_batch_and_shows_each_provider_only_its_own(app, api, make_user, earnings):
    provider = make_user("provider")
    with app.app_context():
        give_earnings([provider.id], 500_00, prefix="mine")
    earnings(1)
    staff = api(make_user("admin"))
    r = staff.post("/payouts/run", headers={"Idempotency-Key": "run-1"})
    assert r.status_code == 202 and r.json["job_id"] and r.json["batch_id"]
    again = staff.post("/payouts/run", headers={"Idempotency-Key": "run-1"})  # a retried request: one job
    assert (again.status_code, again.json) == (202, r.json)
    with app.app_context():
        assert len(queue("default").get_job_ids()) == 1
    run_worker_burst()  # a real `flask worker --burst` process runs the batch job
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0  # done: its callback ran
    job = staff.get(f"/jobs/{r.json['job_id']}").json
    assert job["status"] == "finished" and job["result"]["payouts"] == 2
    assert job["progress"] == {"stage": "collecting", "done": 2, "total": 2}
    assert staff.get("/payouts").json["total"] == 2
    mine = api(provider).get("/payouts").json
    assert [(p["provider_id"], p["amount"], p["status"]) for p in mine["items"]] == [(provider.id, 500_00, "pending")]
    assert api(make_user("brand")).get("/payouts").status_code == 403
    assert api(make_user("provider")).post("/payouts/run").status_code == 403
    assert staff.get("/payouts?status=bogus").status_code == 422


def test_a_resumed_batch_skips_a_provider_it_paid_when_a_failed_payout_returned_money(app, make_user, earnings):
    """A batch crashed after a chunk committed; meanwhile finance marked an earlier payout of the same
    provider failed, which returns that money to the payable, past the hold. Resuming must not try a
    second payout for the provider in this batch (one per batch and currency): the batch closes, and
    the returned money is paid by the next one."""
    (provider,) = earnings(1, amount=500_00)
    with app.app_context():
        payout_batch.run_batch(payout_batch.start_batch(None).id)
        first = db.session.scalar(select(Payout))
        credit(provider, 300_00, key="more:1")
        db.session.flush()
        backdate("more:%", 10)
        db.session.commit()
        crashed = payout_batch.start_batch(None)
        payout_batch._collect(crashed, lambda *a: None)  # its chunk committed; the worker died before closing it
        payouts.mark_failed(db.session.get(User, make_user("admin").id), first.id, "Account closed")
        db.session.commit()
        assert payout_batch.run_batch(crashed.id)["status"] == "closed"  # the sweep resumes it
    assert payouts_of(app, provider) == [(500_00, "failed"), (300_00, "pending")]
    assert run_batch(app)["status"] == "closed"
    assert payouts_of(app, provider) == [(500_00, "failed"), (300_00, "pending"), (500_00, "pending")]
    with app.app_context():
        assert payable_balance(provider) == 0


def test_a_run_that_started_from_a_stale_read_adds_nothing_to_a_closed_batch(app, make_user, earnings):
    """Two runs of one batch: the second read it as collecting before the first closed it. Money that
    came due in between waits for the next batch; it is never added to the closed one (whose bank file
    may be on its way to the bank)."""
    (first,) = earnings(1, amount=500_00)
    late = make_user("provider").id
    with app.app_context():
        batch = payout_batch.start_batch(None)
        payout_batch.run_batch(batch.id)  # the first run collects and closes it
        give_earnings([late], 300_00, prefix="late")  # a provider whose money came due just now
        db.session.commit()
        stale = db.session.get(PayoutBatch, batch.id)
        db.session.expunge(stale)
        stale.status = "collecting"  # what the second run read before the first closed the batch
        payout_batch._collect(stale, lambda *a: None)
    assert (payouts_of(app, first), payouts_of(app, late)) == ([(500_00, "pending")], [])
    run_batch(app)
    assert payouts_of(app, late) == [(300_00, "pending")]
