"""Races on periods (issue 16): parallel usage posts all count and the charge stays within the cap;
parallel accepts release a period once; parallel auto-fund sweeps and the brand's own fund requests
take the period's money from the wallet once. Served by a real threaded HTTP server, each request on
its own database connection (30+ at once on PostgreSQL)."""
from datetime import timedelta

from sqlalchemy import func, select

from extensions import db
from models import LedgerPosting, Milestone
from models.types import utcnow
from services import ledger
from services.runners import periods
from tests.support.backends import IS_POSTGRES
from tests.support.engagements import periodic_contract
from tests.support.ledger import balances
from tests.test_concurrency import post_json, post_json_answer, race

N = 32 if IS_POSTGRES else 6  # SQLite serialises writers anyway; fewer keeps its lock waits short


def _count(app, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerPosting).where(*where))


def test_parallel_usage_posts_and_accepts_charge_once(app, api, make_user, live_server):
    c = periodic_contract(app, api, make_user, engagement="metered", kpis=[], periods=1, unit_price=50_00,
                          cap=(N - 2) * 50_00)
    c.deposit(N * 50_00)
    c.fund(0)
    url = f"{live_server.url}/api/v1/milestones/{c.milestone_ids[0]}/usage"
    answers = race(N, lambda i: post_json_answer(url, c.provider.token, {"quantity": 1, "note": f"#{i}"}))
    assert sorted(code for code, _ in answers) == [201] * N, answers
    # each answer saw its own record and every one before it: totals 1..N, each exactly once
    assert sorted(body["quantity_total"] for _, body in answers) == list(range(1, N + 1))
    assert max(body["charge"] for _, body in answers) == (N - 2) * 50_00  # capped
    c.deliver(0)
    url = f"{live_server.url}/api/v1/milestones/{c.milestone_ids[0]}/accept"
    codes = race(N, lambda i: post_json(url, c.brand.token, {}))
    assert sorted(codes) == [200] + [409] * (N - 1), codes
    assert _count(app, LedgerPosting.key == f"release:milestone:{c.milestone_ids[0]}") == 1
    cap = (N - 2) * 50_00
    assert balances(c.provider) == {"provider_payable": cap - ledger.commission_of(cap, 1000)}
    assert balances(c.brand) == {"brand_wallet": N * 50_00 - cap}
    with app.app_context():
        assert ledger.balance(ledger.escrow(db.session.get(Milestone, c.milestone_ids[0]))) == 0
        assert ledger.unbalanced_postings() == []


def test_parallel_auto_fund_sweeps_and_fund_requests_fund_a_period_once(app, api, make_user, live_server):
    c = periodic_contract(app, api, make_user, periods=2, period_days=30)
    c.brand.put(f"/contracts/{c.contract_id}/auto-fund", json={"auto_fund": True})
    c.deposit(3 * 115000_00)  # enough for more than the one period: a double charge would go through
    now = utcnow() + timedelta(minutes=1)
    url = f"{live_server.url}/api/v1/milestones/{c.milestone_ids[0]}/fund"

    def go(i):
        if i % 2:
            return post_json(url, c.brand.token, {})
        with app.app_context():
            return periods.run(now)["auto_funded"]

    results = race(N, go)
    api_codes = [r for i, r in enumerate(results) if i % 2]
    sweeps = [r for i, r in enumerate(results) if not i % 2]
    assert set(api_codes) <= {200, 409}, api_codes
    assert api_codes.count(200) + sum(sweeps) == 1, results
    assert _count(app, LedgerPosting.key == f"fund:milestone:{c.milestone_ids[0]}") == 1
    assert _count(app, LedgerPosting.kind == "fund") == 1
    assert balances(c.brand) == {"brand_wallet": 2 * 115000_00}
