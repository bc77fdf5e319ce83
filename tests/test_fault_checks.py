"""The fault campaign's checks (faults/checks.py) see what they are there to see: a write the app
acknowledged and the database does not hold, and a write the database holds although its answer was
an error. Fabricated observations against a tiny database, so the campaign cannot pass by not looking."""
from datetime import UTC, datetime, timedelta

from extensions import db
from faults import checks
from faults.load import Attempt, Write
from faults.report import Row, render
from models import IdempotentRequest
from services.runners import payout_batch
from tests.support.payout_fixtures import backdate, credit

T0 = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def write(op: str, key: str, user_id: int, *attempts: tuple[float, float, int | None], body=None) -> Write:
    return Write(op=op, user_id=user_id, key=key, path="/tenders",
                 attempts=[Attempt(at(a), at(b), status) for a, b, status in attempts], body=body)


def test_an_acknowledged_write_missing_from_the_database_is_lost():
    kept = write("tender", "kept", 1, (0, 1, 201))
    lost = write("tender", "lost", 1, (0, 1, 201))
    refused = write("tender", "refused", 1, (0, 1, 422))  # never acknowledged: nothing to lose
    verdict = checks.classify([kept, lost, refused], {(1, "kept"): checks.Stored(201, at(0.5))})
    assert verdict.lost == [lost] and verdict.acknowledged == 2 and not verdict.ok
    # the same key stored for another user is not this write
    assert checks.classify([kept], {(2, "kept"): checks.Stored(201, at(0.5))}).lost == [kept]


def test_a_write_committed_during_an_attempt_answered_500_is_committed_but_errored():
    # first attempt committed and answered 500; the retry with the same key replayed the stored 201
    errored = write("accept", "a", 1, (0, 1, 500), (2, 3, 200))
    # first attempt failed before committing (500), the retry committed: an honest error
    honest = write("accept", "b", 1, (0, 1, 500), (2, 3, 200))
    stored = {(1, "a"): checks.Stored(200, at(0.7)), (1, "b"): checks.Stored(200, at(2.5))}
    verdict = checks.classify([errored, honest], stored)
    assert [(w.key, a.status) for w, a in verdict.errored_committed] == [("a", 500)]
    assert not verdict.lost and not verdict.ok


def test_a_committed_write_whose_answer_never_came_is_counted_apart():
    # the web worker was killed after commit: no server can answer that; the retry got the stored answer
    killed = write("fund", "k", 1, (0, 1, None), (2, 3, 200))
    verdict = checks.classify([killed], {(1, "k"): checks.Stored(200, at(0.9))})
    assert len(verdict.unanswered_committed) == 1 and not verdict.errored_committed and verdict.ok


def test_check_writes_reads_the_database(ctx, make_user):
    user = make_user("brand")
    def stored(key, body=None):
        return IdempotentRequest(user_id=user.id, key=key, fingerprint="f", status_code=201, body=body or {},
                                 created_at=at(0.5))

    # "ghost": its answer is stored, but the tender it answered with is not there
    db.session.add_all([stored("present"), stored("errored"), stored("ghost", {"id": 424242})])
    db.session.commit()
    writes = [write("close", "present", user.id, (0, 1, 201)), write("close", "missing", user.id, (0, 1, 201)),
              write("close", "errored", user.id, (0, 1, 500)),
              write("tender", "ghost", user.id, (0, 1, 201), body={"id": 424242})]
    verdict = checks.check_writes(writes)
    assert sorted(w.key for w in verdict.lost) == ["ghost", "missing"]
    assert [w.key for w, _ in verdict.errored_committed] == ["errored"]


def test_a_killed_batch_is_judged_by_whom_it_paid_and_how_often(ctx, earnings):
    """The payout fault's check, once its batch closed: everyone due paid, once, for what was due."""
    paid_right, other, third = earnings(3, amount=200_00)
    due_before = checks.due_now([paid_right, other, third])
    assert due_before == {paid_right: 200_00, other: 200_00, third: 200_00}
    batch = payout_batch.start_batch(None)
    assert checks.payout_batch_problems(batch.id, due_before) == [f"payout batch {batch.id} is collecting, not closed"]
    payout_batch.run_batch(batch.id)
    assert checks.payout_batch_problems(batch.id, due_before) == []
    assert checks.due_now([paid_right, other, third]) == {}
    # someone due when the batch was requested who is not in it
    assert checks.payout_batch_problems(batch.id, {**due_before, 424242: 100_00}) == [
        f"batch {batch.id} did not pay provider 424242, due 10000 when it was requested"]
    # money from before the cutoff left behind, and a payable debited below what it had (paid twice)
    credit(other, 150_00, key="left-behind")
    credit(third, -50_00, key="paid-again")
    backdate("left-behind", 9)
    backdate("paid-again", 9)
    db.session.commit()
    problems = checks.payout_batch_problems(batch.id, due_before)
    assert problems == [f"provider {other} still has 15000 (CNY) from before batch {batch.id}'s cutoff unpaid",
                        f"provider {third} was paid 5000 more than it had before batch {batch.id}'s cutoff"]


def test_the_table_marks_a_failed_fault():
    rows = [Row("pg-stop-immediate", acknowledged=10, app_back=0.1),
            Row("redis-restart-volatile", acknowledged=5, app_back=0.2, ratings_checked=True, ratings=None,
                failures=["3 providers' ratings still stale 60 s after the fault"])]
    table = render(rows, 60)
    line = next(x for x in table.splitlines() if x.startswith("redis-restart-volatile"))
    assert "FAIL" in line.split("|")[-1] and "FAIL" in line.split("|")[7]
    assert next(x for x in table.splitlines() if x.startswith("pg-stop")).rstrip().endswith("PASS")
    assert "15 acknowledged writes" in table
