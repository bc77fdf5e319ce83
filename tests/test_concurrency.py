"""Races that real users create: two tabs, two API clients. Served by a real threaded HTTP server,
each request on its own database connection."""
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from extensions import db
from models import Bid, Contract, Milestone
from tests.conftest import IS_POSTGRES


def post_json(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (our own test server)
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


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
    from tests.factories import bid_payload

    m = market(1)
    url = f"{live_server.url}/api/v1/tenders/{m.tender_id}/bids"
    codes = race(6, lambda i: post_json(url, m.providers[0].token, bid_payload()))
    assert sorted(codes) == [201] + [409] * 5, codes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Bid).where(Bid.status == "submitted")) == 1
