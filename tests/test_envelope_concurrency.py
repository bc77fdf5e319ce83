"""Races on two envelopes and best-and-final offers, served by the threaded live server (each request
on its own connection): an envelope opens once, one final-offer round opens, a verdict is given once."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from models import BafoRound, Bid, Notification
from tests.support.backends import IS_POSTGRES
from tests.support.factories import bid_payload, tender_payload
from tests.support.orgs import new_account, team, token_for
from tests.test_concurrency import post_json, race

N = 12 if IS_POSTGRES else 6


def _passed_tender(app, client):
    org = team(app, client, "brand", ("procurement",))
    owner, proc = org["owner"][1], org["procurement"][1]
    tid = owner.post("/tenders", json=tender_payload(two_envelope=True)).json["id"]
    bids = []
    for i in range(2):
        _, email = new_account(app, "provider", name=f"Racer {i}")
        bids.append(token_for(client, email).post(f"/tenders/{tid}/bids", json=bid_payload()).json["id"])
    assert owner.post(f"/tenders/{tid}/close").status_code == 200
    assert owner.post(f"/tenders/{tid}/envelopes/technical/open").status_code == 200
    return org, owner, proc, tid, bids


def _count(app, stmt) -> int:
    with app.app_context():
        return db.session.scalar(stmt)


def test_a_verdict_and_the_price_opening_happen_once(app, client, live_server):
    _org, owner, proc, tid, bids = _passed_tender(app, client)
    base = f"{live_server.url}/api/v1"
    tokens = [owner.token, proc.token]
    codes = race(N, lambda i: post_json(f"{base}/bids/{bids[0]}/technical", tokens[i % 2],
                                        {"passed": i % 2 == 0, "reason": "Not enough trainers"}))
    assert sorted(codes) == [200] + [409] * (N - 1), codes
    assert owner.post(f"/bids/{bids[1]}/technical", json={"passed": True}).status_code == 200
    codes = race(N, lambda i: post_json(f"{base}/tenders/{tid}/envelopes/price/open", tokens[i % 2], {}))
    assert sorted(codes) == [200] + [409] * (N - 1), codes
    told = _count(app, select(func.count()).select_from(Notification).where(Notification.kind == "prices_opened"))
    assert told == 2  # each bidder once


def test_one_final_offer_round_opens(app, client, live_server):
    _org, owner, proc, tid, bids = _passed_tender(app, client)
    for bid in bids:
        assert owner.post(f"/bids/{bid}/technical", json={"passed": True}).status_code == 200
    assert owner.post(f"/tenders/{tid}/envelopes/price/open").status_code == 200
    url = f"{live_server.url}/api/v1/tenders/{tid}/bafo"
    closes = [(datetime.now(UTC) + timedelta(hours=2 + i)).isoformat() for i in range(N)]
    codes = race(N, lambda i: post_json(url, (owner.token, proc.token)[i % 2], {"bid_ids": bids,
                                                                                "closes_at": closes[i]}))
    assert sorted(codes) == [201] + [409] * (N - 1), codes
    assert _count(app, select(func.count()).select_from(BafoRound).where(BafoRound.tender_id == tid)) == 1
    with app.app_context():
        rounds = {db.session.get(Bid, b).bafo_round_id for b in bids}
        assert len(rounds) == 1 and None not in rounds
