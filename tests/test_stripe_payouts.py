"""Payouts through Stripe Connect (tests/support/fake_stripe_connect.py in front of localstripe): onboarding,
one transfer per payout, failures reversed, and crash safety with real worker processes."""
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
from rq.job import Job
from sqlalchemy import func, select

from extensions import db, get_redis
from models import LedgerPosting, Notification, Payout, PayoutAccount, PayoutBatch
from services import ledger, payouts
from services.runners import payout_batch
from services.tasks import queue
from tests.support.payout_fixtures import payable_balance, seed_earnings
from tests.support.stripe_fixtures import SECRET_KEY, call, event_payload, onboarded, sign
from tests.support.web import finish_login, form_post, otp_for
from tests.support.worker_processes import kill_worker, start_worker
from workers import jobs


def transfers(base: str) -> list[dict]:
    return call(base, "/_connect/transfers/all")["data"]


def assert_paid_exactly_once(stripe_app, base: str, provider_ids: list[int], amount: int) -> None:
    sent = transfers(base)
    with stripe_app.app_context():
        rows = db.session.scalars(select(Payout)).all()
        assert sorted(p.provider_id for p in rows) == sorted(provider_ids)  # one payout each
        assert {p.status for p in rows} == {"paid"}
        by_transfer = {p.transfer_id: p for p in rows}
        assert len(sent) == len(provider_ids) and set(by_transfer) == {t["id"] for t in sent}  # one transfer each
        for t in sent:
            payout = by_transfer[t["id"]]
            assert (t["amount"], t["destination"], t["metadata"]["payout_id"]) == (amount, payout.destination,
                                                                                   str(payout.id))
        paid_postings = db.session.scalar(select(func.count()).where(LedgerPosting.kind == "payout_paid"))
        assert paid_postings == len(provider_ids)
        assert ledger.unbalanced_postings() == [] and ledger.summary()[1] == {"CNY": 0}
        assert ledger.balance(ledger.clearing("payouts_clearing", "CNY")) == 0
        assert all(payable_balance(pid) == 0 for pid in provider_ids)


def worker(stripe_server: str) -> subprocess.Popen:
    """A real worker process that talks to the test Stripe server."""
    return start_worker(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_API_BASE=stripe_server)


def finish(process: subprocess.Popen) -> None:
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]


def test_a_provider_onboards_to_an_express_account_from_payout_settings(stripe_app, connect, make_user):
    provider = make_user("provider", totp=True)  # Stripe's onboarding sets payout details: it takes a code
    client = stripe_app.test_client()
    finish_login(client, form_post(client, "/login", {"email": provider.email, "password": "correct horse battery"}),
                 provider.email)
    page = client.get("/payouts").get_data(as_text=True)
    assert "Stripe" in page and 'data-testid="stripe-ready"' not in page
    refused = form_post(client, "/payouts/stripe/onboard", {"otp": "12"}, page="/payouts")
    assert refused.status_code == 422 and "不是当前的验证码" in refused.get_data(as_text=True)
    with stripe_app.app_context():  # no Express account was made without a code
        assert getattr(db.session.get(PayoutAccount, provider.id), "stripe_account_id", None) is None
    started = form_post(client, "/payouts/stripe/onboard", {"otp": otp_for(stripe_app, provider.email)},
                        page="/payouts")
    assert started.status_code == 302 and started.location.startswith(connect + "/_connect/onboard/")
    with stripe_app.app_context():
        account_id = db.session.get(PayoutAccount, provider.id).stripe_account_id
        assert account_id and not db.session.get(PayoutAccount, provider.id).stripe_payouts_enabled

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as back:  # Stripe's hosted onboarding, then back to us
        urllib.request.build_opener(NoRedirect).open(started.location, timeout=10)
    assert back.value.code == 302 and back.value.headers["Location"].endswith("/payouts/stripe/return")
    assert client.get("/payouts/stripe/return").status_code == 302
    with stripe_app.app_context():
        assert db.session.get(PayoutAccount, provider.id).stripe_payouts_enabled
    assert account_id in client.get("/payouts").get_data(as_text=True)
    # Onboarding again reuses the same account (created once per provider).
    form_post(client, "/payouts/stripe/onboard", {"otp": otp_for(stripe_app, provider.email)}, page="/payouts")
    assert len(call(connect, "/v1/transfers")["data"]) == 0
    with stripe_app.app_context():
        assert db.session.get(PayoutAccount, provider.id).stripe_account_id == account_id


def test_each_payout_is_one_transfer_and_a_refused_transfer_is_reversed_and_explained(stripe_app, connect):
    accounts = onboarded(connect, 3)
    call(connect, f"/_connect/accounts/{accounts[2]}/disable_transfers", method="POST")  # Stripe disabled it
    with stripe_app.app_context():
        ok_a, ok_b, refused = seed_earnings(3, 700_00, stripe_accounts=accounts)
        batch = payout_batch.start_batch(None)
        summary = payout_batch.run_batch(batch.id)
        assert summary["status"] == "closed" and summary["by_status"] == {"paid": 2, "failed": 1}
        failed = db.session.scalar(select(Payout).where(Payout.provider_id == refused))
        assert "transfers" in failed.failure_reason
        assert payable_balance(refused) == 700_00 and payable_balance(ok_a) == 0
        told = db.session.scalar(select(Notification).where(Notification.user_id == refused))
        assert told.kind == "payout_failed"
        assert {t["transfer_group"] for t in transfers(connect)} == {f"batch-{batch.id}"}
        paid = db.session.scalars(select(Payout).where(Payout.status == "paid")).all()
        references = set(db.session.scalars(select(LedgerPosting.reference).where(LedgerPosting.kind == "payout_paid")))
        assert references == {p.transfer_id for p in paid}
    assert len(transfers(connect)) == 2


def test_a_crash_after_stripe_answered_replays_the_same_transfer(stripe_app, connect, monkeypatch):
    accounts = onboarded(connect, 2)
    with stripe_app.app_context():
        ids = seed_earnings(2, 900_00, stripe_accounts=accounts)
        batch = payout_batch.start_batch(None)

        def crash(*args, **kwargs):
            raise SystemExit("killed between Stripe's answer and our commit")

        monkeypatch.setattr(payouts, "settle_paid", crash)
        with pytest.raises(SystemExit):
            payout_batch.run_batch(batch.id)
        db.session.rollback()
        assert len(transfers(connect)) == 1  # Stripe moved money; we recorded nothing
        monkeypatch.undo()
        payout_batch.run_batch(batch.id)
    assert_paid_exactly_once(stripe_app, connect, ids, 900_00)


def test_after_stripe_forgot_the_idempotency_key_the_transfer_is_found_by_its_metadata(stripe_app, connect,
                                                                                        monkeypatch):
    accounts = onboarded(connect, 1)
    with stripe_app.app_context():
        ids = seed_earnings(1, 900_00, stripe_accounts=accounts)
        batch = payout_batch.start_batch(None)
        monkeypatch.setattr(payouts, "settle_paid", lambda *a, **k: (_ for _ in ()).throw(SystemExit("crash")))
        with pytest.raises(SystemExit):
            payout_batch.run_batch(batch.id)
        db.session.rollback()
        monkeypatch.undo()
        call(connect, "/_connect/clock", {"advance_seconds": 25 * 3600})  # keys live 24 h
        monkeypatch.setattr(payout_batch, "utcnow", lambda: batch.created_at + payouts.IDEMPOTENCY_WINDOW * 2)
        payout_batch.run_batch(batch.id)
    assert_paid_exactly_once(stripe_app, connect, ids, 900_00)


def progress_of(job_id: str) -> dict:
    return Job.fetch(job_id, connection=get_redis()).get_meta(refresh=True).get("progress") or {}


def test_a_worker_killed_mid_batch_leaves_every_provider_paid_exactly_once(stripe_app, connect, make_user):
    n = 160
    accounts = onboarded(connect, n)
    staff = make_user("admin")
    with stripe_app.app_context():
        ids = seed_earnings(n, 321_00, stripe_accounts=accounts)
        batch, job_id = payouts.request_batch(staff)
        db.session.commit()
        batch_id = batch.id
    first = worker(connect)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        with stripe_app.app_context():
            seen = progress_of(job_id)
        if seen.get("stage") == "paying" and seen["done"] >= 40:
            break
        assert first.poll() is None, "the worker finished before it could be killed"
        time.sleep(0.05)
    kill_worker(first)  # worker and work horse: no handler, no cleanup, mid-transaction
    with stripe_app.app_context():
        paid = db.session.scalar(select(func.count()).where(Payout.status == "paid"))
        assert 0 < paid < n, paid  # killed mid-batch
        assert db.session.get(PayoutBatch, batch_id).status == "paying"
        again, _ = payouts.request_batch(staff)  # the retry (or the stale-batch sweep) resumes it
        db.session.commit()
        assert again.id == batch_id
    finish(worker(connect))
    assert_paid_exactly_once(stripe_app, connect, ids, 321_00)
    with stripe_app.app_context():
        assert db.session.get(PayoutBatch, batch_id).status == "closed"


def test_the_same_batch_enqueued_twice_and_run_by_two_workers_at_once_pays_once(stripe_app, connect):
    accounts = onboarded(connect, 60)
    with stripe_app.app_context():
        ids = seed_earnings(60, 150_00, stripe_accounts=accounts)
        batch = payout_batch.start_batch(None)
        for _ in range(2):
            queue("default").enqueue(jobs.run_payout_batch, batch.id)
    workers = [worker(connect), worker(connect)]
    for process in workers:
        finish(process)
    assert_paid_exactly_once(stripe_app, connect, ids, 150_00)


def test_stripe_disabling_an_account_stops_its_payouts_until_it_is_fixed(stripe_app, connect):
    """Stripe's signed `account.updated` webhook keeps our copy of "can receive payouts" true."""

    accounts = onboarded(connect, 1)
    with stripe_app.app_context():
        (provider_id,) = seed_earnings(1, 500_00, stripe_accounts=accounts)
    stale = {"id": accounts[0], "object": "account", "payouts_enabled": False, "capabilities": {}}
    payload = event_payload("account.updated", stale, event_id="evt_account_0")  # an old event, delivered late
    response = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                             headers={"Stripe-Signature": sign(payload)})
    assert response.status_code == 200
    with stripe_app.app_context():  # what Stripe says now wins over what an old event said
        assert db.session.get(PayoutAccount, provider_id).stripe_payouts_enabled
    disabled = call(connect, f"/_connect/accounts/{accounts[0]}/disable_transfers", method="POST")
    payload = event_payload("account.updated", disabled, event_id="evt_account_1")
    response = stripe_app.test_client().post("/webhooks/stripe", data=payload, content_type="application/json",
                                             headers={"Stripe-Signature": sign(payload)})
    assert response.status_code == 200
    with stripe_app.app_context():
        assert not db.session.get(PayoutAccount, provider_id).stripe_payouts_enabled
        assert payout_batch.run_batch(payout_batch.start_batch(None).id)["payouts"] == 0  # not sent to a dead account
        assert payable_balance(provider_id) == 500_00
    assert transfers(connect) == []
