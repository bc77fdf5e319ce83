"""What is checked after each fault (run inside an app context on the campaign's database).

- Writes: every acknowledged write (a 2xx) is in the database — its Idempotency-Key's stored answer
  (the `idempotent_requests` row is written in the same transaction as the change) and, for those
  that create or move something, the thing itself (the tender with its marker, the bid, the posting
  `fund:milestone:<id>` / `release:milestone:<id>` / `deposit:CNY:<reference>`, the contract, the
  review). A write whose attempt was answered with an error (5xx) is looked up: if its stored success
  was written during that attempt (the row's `created_at` falls inside the attempt's start and end,
  one clock), the write committed and was answered with an error. An attempt with no answer at all
  (the web worker was killed, the connection dropped) that committed is counted apart: no server can
  answer from a killed process; the client's retry with the same key must then get the stored answer.
- Money: the reconciliation's ledger checks (postings balance, zero sum per currency, escrow per
  milestone, payouts) on the campaign's database, nothing stored.
- Ratings: every provider the load gave a release or review has a stored rating whose event-driven
  whole-number inputs (EVENT_INPUTS) equal those recomputed now (`ratings_data.gather`). This reads the
  outcome, not how marks are kept (a Redis set today, a table after the outbox), so it holds either way.
- Payouts: no settlement batch left open; a batch the campaign killed paid, once it closed, every
  provider that had money due when it was requested, exactly once (`payout_batch_problems`).
The pure part (`classify`) takes fabricated observations in tests/test_fault_checks.py, so a check that
stopped seeing a lost or a committed-but-errored write would fail there."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import func, select

from extensions import db
from faults.load import Attempt, Write
from models import (
    Bid,
    Contract,
    IdempotentRequest,
    LedgerEntry,
    LedgerPosting,
    Payout,
    PayoutBatch,
    ProviderProfile,
    RatingMark,
    Review,
    Tender,
)
from models.payout import BatchStatus
from models.types import utcnow
from services import funding, payouts, ratings_data, reconciliation
from services.payouts import open_batch

# created_at is taken in the request, so inside the attempt; this only absorbs rounding of stored times.
SLACK = timedelta(milliseconds=2)


@dataclass(frozen=True)
class Stored:
    """What the database holds for one (user, Idempotency-Key)."""

    status: int
    created_at: datetime


@dataclass
class WriteVerdict:
    checked: int = 0
    acknowledged: int = 0
    lost: list[Write] = field(default_factory=list)
    errored_committed: list[tuple[Write, Attempt]] = field(default_factory=list)
    unanswered_committed: list[tuple[Write, Attempt]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.errored_committed


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def classify(writes: Iterable[Write], stored: dict[tuple[int, str], Stored],
             missing_objects: set[tuple[int, str]] = frozenset()) -> WriteVerdict:
    """Judge the writes against what the database holds. `missing_objects`: acknowledged writes whose
    created or moved thing is not there although their stored answer may be."""
    verdict = WriteVerdict()
    for write in writes:
        verdict.checked += 1
        row = stored.get((write.user_id, write.key))
        committed = row is not None and 200 <= row.status < 300
        if write.acknowledged:
            verdict.acknowledged += 1
            if not committed or (write.user_id, write.key) in missing_objects:
                verdict.lost.append(write)
        if not committed:
            continue
        created = _utc(row.created_at)
        for index, attempt in enumerate(write.attempts):
            # an attempt without an answer may have gone on in the server until the next one began
            end = attempt.end if attempt.status is not None or index + 1 == len(write.attempts) \
                else write.attempts[index + 1].start
            if attempt.status is None and index + 1 == len(write.attempts):
                end = datetime.max.replace(tzinfo=UTC)
            if not (attempt.start - SLACK <= created <= end + SLACK):
                continue
            if attempt.status is not None and attempt.status >= 500:
                verdict.errored_committed.append((write, attempt))
            elif attempt.status is None:
                verdict.unanswered_committed.append((write, attempt))
    return verdict


def stored_answers(writes: list[Write]) -> dict[tuple[int, str], Stored]:
    keys = {w.key for w in writes}
    found: dict[tuple[int, str], Stored] = {}
    key_list = sorted(keys)
    for start in range(0, len(key_list), 500):
        rows = db.session.execute(select(IdempotentRequest.user_id, IdempotentRequest.key,
                                         IdempotentRequest.status_code, IdempotentRequest.created_at)
                                  .where(IdempotentRequest.key.in_(key_list[start:start + 500])))
        for user_id, key, status, created_at in rows:
            found[(user_id, key)] = Stored(status, created_at)
    return found


def _posting_key(write: Write) -> str | None:
    parts = write.path.strip("/").split("/")
    if write.op == "fund":
        return f"fund:milestone:{parts[1]}"
    if write.op == "accept":
        return f"release:milestone:{parts[1]}"
    if write.op == "deposit":
        return funding.deposit_key("CNY", write.key)  # the reference, normalised as the app keys it
    return None


def missing_objects(writes: list[Write]) -> set[tuple[int, str]]:
    """Acknowledged writes whose thing is not in the database (looked up by the id it answered, and
    the marker it carried)."""
    missing = set()
    acknowledged = [w for w in writes if w.acknowledged]
    postings = {k for k in (_posting_key(w) for w in acknowledged) if k}
    present = set()
    listed = sorted(postings)
    for start in range(0, len(listed), 500):
        chunk = listed[start:start + 500]
        present |= set(db.session.scalars(select(LedgerPosting.key).where(LedgerPosting.key.in_(chunk))))

    def exists(model, object_id, check: Callable | None = None) -> bool:
        row = db.session.get(model, object_id)
        return row is not None and (check is None or check(row))

    for write in acknowledged:
        body = write.body or {}
        if (key := _posting_key(write)) is not None:
            ok = key in present
        elif write.op == "tender":
            ok = exists(Tender, body.get("id"), lambda t, w=write: w.key in t.title)
        elif write.op == "bid":
            ok = exists(Bid, body.get("id"))
        elif write.op == "award":
            ok = exists(Contract, body.get("contract_id"))
        elif write.op == "review":
            ok = exists(Review, body.get("id"))
        else:
            continue
        if not ok:
            missing.add((write.user_id, write.key))
    return missing


def check_writes(writes: list[Write]) -> WriteVerdict:
    verdict = classify(writes, stored_answers(writes), missing_objects(writes))
    db.session.rollback()
    return verdict


def check_ledger() -> list[dict]:
    """The reconciliation's differences on this database (empty when clean); nothing is stored."""
    try:
        run = reconciliation.run()
        return list(run.differences or [])
    finally:
        db.session.rollback()


# The rating inputs that the marking events (a review, a release, a decision, a KPI result, a completed
# contract) change. The others change with an award or with time alone (brands and volume over 12
# months, overdue milestones) and are brought up to date by the next event or the nightly run, so a
# difference in them is no lost mark.
EVENT_INPUTS = ("review_count", "settled_milestones", "on_time_milestones", "change_requests", "disputes_lost",
                "kpi_results", "kpi_met", "completed_contracts")


def _event_inputs(counts: str | None) -> tuple[str, ...] | None:
    if counts is None:
        return None
    values = dict(zip(ratings_data.COUNT_NAMES, counts.split(), strict=True))
    return tuple(values[name] for name in EVENT_INPUTS)


def stale_ratings(provider_ids: Iterable[int]) -> list[int]:
    """Providers whose stored rating was computed from other event-driven inputs than they have now."""
    ids = sorted(set(provider_ids))
    if not ids:
        return []
    try:
        inputs = ratings_data.gather(utcnow(), ids)
        stored = dict(db.session.execute(select(ProviderProfile.user_id, ProviderProfile.rating_counts)
                                         .where(ProviderProfile.user_id.in_(ids))).all())
        return [pid for pid in ids if pid in stored
                and _event_inputs(stored[pid]) != _event_inputs(ratings_data.counts_key(inputs[pid]))]
    finally:
        db.session.rollback()


def open_payout_batch() -> int | None:
    try:
        batch = open_batch()
        return batch.id if batch is not None else None
    finally:
        db.session.rollback()


def rating_marks_state(provider_ids: Iterable[int]) -> str:
    """For a failure's note: the stale providers' rating marks in the database (services/rating_jobs.py),
    taken by a run (and until when) or waiting, and the providers with no mark at all."""
    ids = sorted(set(provider_ids))
    try:
        marks = db.session.execute(select(RatingMark.provider_id, RatingMark.taken_until, RatingMark.attempts)
                                   .where(RatingMark.provider_id.in_(ids))).all()
        db.session.rollback()
        taken = sorted({m.provider_id for m in marks if m.taken_until is not None})
        waiting = sorted({m.provider_id for m in marks if m.taken_until is None})
        attempts = max((m.attempts for m in marks), default=0)
        return (f"providers {ids}: marks waiting {waiting}, taken by a run {taken} (most attempts {attempts}), "
                f"unmarked {sorted(set(ids) - set(waiting) - set(taken))}")
    except Exception as exc:  # noqa: BLE001 - a note, never a crash of the campaign
        db.session.rollback()
        return f"providers {ids}; marks not readable: {exc!r}"


def due_now(provider_ids: Iterable[int]) -> dict[int, int]:
    """provider → what a batch started now would pay it (its method, minimum and hold as configured)."""
    config = current_app.config
    would_be = SimpleNamespace(id=None, method=payouts.method(), min_amount=config["PAYOUT_MIN"],
                               cutoff=utcnow() - timedelta(days=config["PAYOUT_HOLD_DAYS"]))
    try:
        due = payouts.due_in_chunk(would_be, None, None, list(provider_ids))
        return {provider: amount for (provider, _currency), amount in due.items()}
    finally:
        db.session.rollback()


def payout_batch_problems(batch_id: int, due_before: dict[int, int]) -> list[str]:
    """What is wrong with a batch once it has closed: a provider that had money due when it was
    requested (`due_before`, provider → amount) without a payout in it; more than one payout to a
    provider and currency; a payout whose `payout:<id>` posting is missing or moves another amount; a
    provider with money from before the batch's cutoff left unpaid, or paid more than it had (its
    payable, less what was credited after the cutoff, below zero). Empty when all is right."""
    try:
        batch = db.session.get(PayoutBatch, batch_id)
        if batch is None or batch.status != BatchStatus.CLOSED:
            return [f"payout batch {batch_id} is {batch.status if batch else 'missing'}, not closed"]
        made = db.session.execute(select(Payout.id, Payout.provider_id, Payout.currency, Payout.amount)
                                  .where(Payout.batch_id == batch_id)).all()
        problems = []
        counted: dict[tuple[int, str], int] = {}
        for row in made:
            counted[(row.provider_id, row.currency)] = counted.get((row.provider_id, row.currency), 0) + 1
        problems += [f"batch {batch_id} paid provider {p} ({cur}) {n} times"
                     for (p, cur), n in counted.items() if n > 1]
        paid = {p for p, _cur in counted}
        problems += [f"batch {batch_id} did not pay provider {p}, due {due_before[p]} when it was requested"
                     for p in sorted(set(due_before) - paid)]
        keys = {f"payout:{row.id}": row for row in made}
        posted = dict(db.session.execute(select(LedgerPosting.key, func.max(LedgerEntry.amount))
                                         .join(LedgerEntry, LedgerEntry.posting_id == LedgerPosting.id)
                                         .where(LedgerPosting.key.in_(list(keys))).group_by(LedgerPosting.key)).all())
        problems += [f"payout {row.id} to provider {row.provider_id}: posting {key} "
                     f"{'missing' if key not in posted else f'moves {posted[key]}, the payout is {row.amount}'}"
                     for key, row in keys.items() if posted.get(key) != row.amount]
        providers = sorted(set(due_before) | paid)
        left = payouts.due_in_chunk(batch, None, None, providers)
        problems += [f"provider {p} still has {amount} ({cur}) from before batch {batch_id}'s cutoff unpaid"
                     for (p, cur), amount in left.items()]
        balances = payouts.eligible_amounts(batch.cutoff).subquery()
        over = db.session.execute(select(balances.c.user_id, balances.c.amount)
                                  .where(balances.c.user_id.in_(providers), balances.c.amount < 0)).all()
        problems += [f"provider {p} was paid {-amount} more than it had before batch {batch_id}'s cutoff"
                     for p, amount in over]
        return problems
    finally:
        db.session.rollback()
