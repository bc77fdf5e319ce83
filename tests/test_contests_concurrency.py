"""Races on a contest's prize: the brand's award (from many tabs), its cancel, staff's cancel and the
worker's split, all at once, served by a real threaded HTTP server (one database connection each).
The prize leaves escrow exactly once, in one balanced posting, and the contest's status says which."""
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from extensions import db
from models import Contest, ContestAward, LedgerAccount, LedgerPosting
from services import ledger
from tests.support.backends import IS_POSTGRES
from tests.support.contests import image_part
from tests.test_concurrency import post_json
from workers import jobs


def test_award_cancel_staff_cancel_and_the_split_at_once_pay_exactly_once(app, contest_race, live_server):
    n = 24 if IS_POSTGRES else 8  # SQLite serialises writers anyway; fewer keeps its lock waits short
    race = contest_race(3, prizes=[200000, 100000])
    ids = [race.enter(i) for i in range(3)]
    race.brand.post(f"/contests/{race.contest_id}/shortlist", json={"entry_ids": ids[:2]})
    race.pass_selection()  # the brand is late: the worker is due while the brand clicks "award" everywhere
    base = f"{live_server.url}/api/v1"
    calls = []
    for i in range(n):
        if i % 3 == 0:
            calls.append((f"{base}/contests/{race.contest_id}/award", race.brand.token,
                          {"entry_ids": [ids[i % 3], ids[(i + 1) % 3]]}))
        elif i % 3 == 1:
            calls.append((f"{base}/contests/{race.contest_id}/cancel", race.brand.token, {}))
        else:
            calls.append((f"{base}/admin/contests/{race.contest_id}/cancel", race.staff.token,
                          {"reason": "Race test: a rule breach reported."}))
    barrier = threading.Barrier(n + 1)

    def request(i):
        barrier.wait()
        url, token, body = calls[i]
        return post_json(url, token, body)

    def worker():
        barrier.wait()
        with app.app_context():
            return jobs.award_due_contests()

    with ThreadPoolExecutor(max_workers=n + 1) as pool:
        answers = [pool.submit(request, i) for i in range(n)]
        split = pool.submit(worker)
        codes = [a.result() for a in answers]
        swept = split.result()
    assert all(code in (200, 409) for code in codes), codes
    successes = codes.count(200) + len(swept["decided"])
    assert successes == 1, (codes, swept)
    assert swept["failed"] == []
    with app.app_context():
        keys = set(db.session.scalars(select(LedgerPosting.key).where(
            LedgerPosting.key.startswith(f"prize:contest:{race.contest_id}:"))))
        exits = keys - {f"prize:contest:{race.contest_id}:fund"}
        assert len(exits) == 1, keys
        contest = db.session.get(Contest, race.contest_id)
        awards = db.session.scalars(select(ContestAward).where(ContestAward.contest_id == contest.id)).all()
        if exits == {f"prize:contest:{race.contest_id}:award"}:
            assert contest.status == "awarded" and sum(a.amount for a in awards) == 300000
        else:
            assert contest.status == "cancelled" and awards == []
        held = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == "contest_escrow"))
        assert ledger.balance(held) == 0
        assert ledger.unbalanced_postings() == []


def test_entries_racing_the_brands_cancel_never_land_in_a_refunded_contest(app, contest_race, live_server):
    """Cancel (full refund) is allowed only with no entries: entries submitted at the same moment either
    land before it (the cancel is refused) or are refused after it — never an entry in a refunded contest."""
    n = 6
    race = contest_race(n)
    barrier = threading.Barrier(n + 1)

    def enter(i):
        barrier.wait()
        return race.providers[i].post(f"/contests/{race.contest_id}/entries", content_type="multipart/form-data",
                                      data={"note": "race", "file": image_part()}).status_code

    def cancel():
        barrier.wait()
        return post_json(f"{live_server.url}/api/v1/contests/{race.contest_id}/cancel", race.brand.token, {})

    with ThreadPoolExecutor(max_workers=n + 1) as pool:
        entered = [pool.submit(enter, i) for i in range(n)]
        cancelled = pool.submit(cancel)
        codes, cancel_code = [e.result() for e in entered], cancelled.result()
    with app.app_context():
        contest = db.session.get(Contest, race.contest_id)
        active = [e for e in contest.entries if e.status == "active"]
        if cancel_code == 200:
            assert contest.status == "cancelled" and active == [], codes
        else:
            assert cancel_code == 409 and contest.status == "open" and len(active) == codes.count(201) >= 1
        assert all(code in (201, 409) for code in codes), codes
