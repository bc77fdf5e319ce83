"""Races that real users create: two tabs, two API clients. Served by a real threaded HTTP server,
each request on its own database connection."""
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from extensions import db
from models import Bid, Contract, LedgerAccount, LedgerPosting, Milestone, Payout, PayoutBatch, Review
from services import ledger
from services.runners import payout_batch
from tests.support.backends import IS_POSTGRES
from tests.support.factories import bid_payload


def post_json(url: str, token: str, body: dict, **headers) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def post_json_answer(url: str, token: str, body: dict, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def race(n: int, call) -> list[int]:
    """Run `call(i)` for i in range(n) on n threads released at the same instant."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def test_concurrent_awards_of_different_bids_make_exactly_one_contract(market, live_server, app):
    n = 20 if IS_POSTGRES else 8  # SQLite serialises writers anyway; fewer keeps its lock waits short
    m = market(n)
    bid_ids = [m.bid(i, 400000_00 + i * 1000_00)["id"] for i in range(n)]
    m.close()
    url = f"{live_server.url}/api/v1/tenders/{m.tender_id}/award"
    codes = race(n, lambda i: post_json(url, m.brand.token, {"bid_id": bid_ids[i]}))
    assert sorted(codes) == [201] + [409] * (n - 1), codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contract)) == 1
        statuses = db.session.scalars(select(Bid.status).where(Bid.tender_id == m.tender_id)).all()
        assert statuses.count("awarded") == 1 and statuses.count("rejected") == n - 1
        contract = db.session.scalars(select(Contract)).one()
        awarded = db.session.scalars(select(Bid).where(Bid.status == "awarded")).one()
        assert contract.bid_id == awarded.id and contract.amount == awarded.amount
        assert db.session.scalar(select(func.count()).select_from(Milestone)) == 3


def test_concurrent_identical_bids_from_one_provider_make_one_live_bid(market, live_server, app):

    m = market(1)
    url = f"{live_server.url}/api/v1/tenders/{m.tender_id}/bids"
    codes = race(6, lambda i: post_json(url, m.providers[0].token, bid_payload()))
    assert sorted(codes) == [201] + [409] * 5, codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bid).where(Bid.status == "submitted")) == 1


def test_fifty_concurrent_accepts_release_once(deal, live_server, app):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    url = f"{live_server.url}/api/v1/milestones/{d.milestone_ids[0]}/accept"
    n = 50 if IS_POSTGRES else 10
    codes = race(n, lambda i: post_json(url, d.brand.token, {}))
    assert sorted(codes) == [200] + [409] * (n - 1), codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "release")) == 1
    payable = {b["account"].split(":")[0]: b["amount"] for b in d.provider.get("/me").json["balances"]}
    assert payable == {"provider_payable": 135000_00}


def test_fifty_concurrent_accepts_with_one_idempotency_key_answer_alike(deal, live_server, app):
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    url = f"{live_server.url}/api/v1/milestones/{d.milestone_ids[0]}/accept"
    n = 50 if IS_POSTGRES else 10

    key = {"Idempotency-Key": "accept-once"}
    assert race(n, lambda i: post_json(url, d.brand.token, {}, **key)) == [200] * n


def test_concurrent_reviews_with_one_idempotency_key_answer_alike(track_record, live_server, app):
    """A client retrying a review it never heard back about, many times at once: one review, and every
    answer is the first 201 (issue 22, item 11)."""
    _, _, [(brand, contract)] = track_record(1)
    url = f"{live_server.url}/api/v1/contracts/{contract}/reviews"
    body = {"scores": {"quality": 5, "communication": 4, "timeliness": 4, "professionalism": 5}, "comment": "Good."}
    n = 20 if IS_POSTGRES else 6
    answers = race(n, lambda i: post_json_answer(url, brand.token, body, **{"Idempotency-Key": "review-once"}))
    assert [code for code, _ in answers] == [201] * n, answers
    assert len({json.dumps(answer, sort_keys=True) for _, answer in answers}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_fifty_concurrent_funds_from_a_wallet_that_covers_one(deal, live_server, app):
    d = deal()
    d.deposit(150000_00)  # covers exactly one milestone
    n = 50 if IS_POSTGRES else 10
    # the same milestone from every thread, and every milestone at once
    url = f"{live_server.url}/api/v1/milestones/{d.milestone_ids[0]}/fund"
    codes = race(n, lambda i: post_json(url, d.brand.token, {}))
    assert sorted(codes) == [200] + [409] * (n - 1), codes
    urls = [f"{live_server.url}/api/v1/milestones/{m}/fund" for m in d.milestone_ids[1:]]
    more = race(len(urls), lambda i: post_json(urls[i], d.brand.token, {}))
    assert more == [409, 409]  # the wallet is empty now
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "fund")) == 1
    wallet = {b["account"].split(":")[0]: b["amount"] for b in d.brand.get("/me").json["balances"]}
    assert wallet == {"brand_wallet": 0}


def test_concurrent_funds_of_different_milestones_never_overdraw(deal, live_server, app):
    d = deal()
    d.deposit(300000_00)  # covers two of the three
    urls = [f"{live_server.url}/api/v1/milestones/{m}/fund" for m in d.milestone_ids]
    codes = race(3, lambda i: post_json(urls[i], d.brand.token, {}))
    assert sorted(codes) == [200, 200, 409], codes
    wallet = {b["account"].split(":")[0]: b["amount"] for b in d.brand.get("/me").json["balances"]}
    assert wallet == {"brand_wallet": 0}


def test_concurrent_payout_runs_open_one_batch_and_pay_each_provider_once(live_server, app, api, make_user, earnings):
    provider_ids = earnings(30)
    staff = api(make_user("admin"))
    n = 10 if IS_POSTGRES else 4
    codes = race(n, lambda i: post_json(f"{live_server.url}/api/v1/payouts/run", staff.token, {}))
    assert codes == [202] * n
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PayoutBatch)) == 1
        batch_id = db.session.scalar(select(PayoutBatch.id))

    def run(i):
        with app.app_context():
            return payout_batch.run_batch(batch_id)["payouts"]

    assert race(n, run) == [30] * n  # every run sees the same finished batch
    with app.app_context():
        assert sorted(db.session.scalars(select(Payout.provider_id))) == sorted(provider_ids)


@pytest.mark.postgres  # skipped on SQLite (tests/support/tiers.py): one writer at a time, nothing to race
def test_a_settlement_chunk_holds_off_other_debits_of_payables(app, make_user):
    """While a batch debits a chunk of payables (set-based, without row locks), a staff adjustment that
    would debit a payable waits for it, so the two never spend the same money."""

    provider = make_user("provider")
    with app.app_context():
        account_id = ledger.payable(provider.id, "CNY").id
        db.session.commit()
        ledger.lock_payables_for_settlement()  # the batch's chunk transaction, left open

        def debit_elsewhere():
            with app.app_context():
                db.session.execute(text("SET lock_timeout = '300ms'"))
                try:
                    ledger.lock(db.session.get(LedgerAccount, account_id))
                    return "got through"
                except OperationalError:
                    return "waited"
                finally:
                    db.session.rollback()

        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(debit_elsewhere).result() == "waited"
        db.session.rollback()  # the chunk commits: now the debit goes through
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(debit_elsewhere).result() == "got through"


def test_concurrent_approvals_of_one_correction_apply_it_once(deal, api, make_user, live_server, app):
    """Issue 14, finding 3: staff members approving the same proposed correction at once move its money
    once; the others are told it was already decided. Two staff proposing at once make one proposal."""
    d = deal()
    d.deposit(150000_00)
    d.fund(0)
    d.deliver(0)
    dispute = d.brand.post(f"/milestones/{d.milestone_ids[0]}/disputes", json={"reason": "quality"}).json["id"]
    assert d.staff.post(f"/disputes/{dispute}/resolve", json={"provider_amount": 150000_00,
                                                               "reason": "All usable."}).status_code == 200
    n = 6 if IS_POSTGRES else 3
    others = [api(make_user("admin")).token for _ in range(n)]
    body = {"amount": 100000_00, "direction": "to_brand", "reason": "Most images were unusable."}
    url = f"{live_server.url}/api/v1/disputes/{dispute}/adjustments"
    proposals = race(n, lambda i: post_json_answer(url, others[i], body))
    assert sorted(code for code, _ in proposals) == [202] + [409] * (n - 1), proposals
    proposal = next(answer for code, answer in proposals if code == 202)
    approvers = [t for t in others if t != others[[c for c, _ in proposals].index(202)]] + [d.staff.token]
    answers = race(n, lambda i: post_json_answer(f"{url}/{proposal['id']}/approve", approvers[i], {}))
    assert sorted(code for code, _ in answers) == [200] + [409] * (n - 1), answers
    assert {a["error"]["code"] for code, a in answers if code == 409} == {"correction_decided"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerPosting)
                                 .where(LedgerPosting.kind == "adjustment")) == 1
    assert {b["account"].split(":")[0]: b["amount"] for b in d.brand.get("/me").json["balances"]} == {
        "brand_wallet": 100000_00}
