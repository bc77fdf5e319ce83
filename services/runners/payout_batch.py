"""Running a settlement batch (services/payouts.py has the rules; this takes them step by step and
commits each step, in a worker). A batch runs in two stages, each safe to run again after a crash at
any instruction — collecting, then (Stripe) paying; see services/payouts.py for what each posts."""
from contextlib import contextmanager

import stripe
from flask import current_app
from sqlalchemy import select

from extensions import db
from models import LedgerAccount, Payout, PayoutBatch, User
from models.payout import BATCH_OPEN, BatchStatus, PayoutStatus
from models.status import transition
from models.types import utcnow
from services import chargebacks, ledger, payouts, stripe_gateway, withdrawals
from services.errors import NotFound
from services.locking import locked_get
from services.payouts import CHUNK, IDEMPOTENCY_WINDOW, STALE


def start_batch(actor: User | None = None) -> PayoutBatch:
    """The open batch if there is one, else a new one; committed (the scheduled settlement)."""
    batch = payouts.open_or_new_batch(actor)
    db.session.commit()
    return batch


def run_batch(batch_id: int, progress=None) -> dict:
    """Take the batch as far as it goes: collect, then (Stripe) pay, then close. Commits as it goes."""
    progress = progress or (lambda stage, done, total: None)
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound()
    if batch.status == BatchStatus.COLLECTING:
        _collect(batch, progress)
        _advance(batch_id, BatchStatus.PAYING if batch.method == "stripe" else BatchStatus.CLOSED)
    if batch.status == BatchStatus.PAYING:
        unsettled = _pay_by_stripe(batch, progress)
        if not unsettled:
            _advance(batch_id, BatchStatus.CLOSED)
    return payouts.summary(db.session.get(PayoutBatch, batch_id, populate_existing=True))


def _advance(batch_id: int, status: BatchStatus) -> None:
    """Move the batch on, unless another run already has (then there is nothing to do)."""
    batch = locked_get(PayoutBatch, batch_id)
    if batch.status in BATCH_OPEN and batch.status != status:
        transition(batch, status)
        if status == BatchStatus.CLOSED:
            batch.open_slot, batch.closed_at = None, utcnow()
    db.session.commit()


def resume_stale_batch() -> dict | None:
    """The periodic sweep: a batch whose worker died (no progress for STALE) is taken up again."""
    batch = payouts.open_batch()
    if batch is None or (batch.heartbeat_at or batch.created_at) > utcnow() - STALE:
        return None
    return run_batch(batch.id)


def _collect(batch: PayoutBatch, progress) -> None:
    payable = LedgerAccount.__table__
    account_ids = db.session.scalars(select(payable.c.id).where(payable.c.kind == "provider_payable")
                                     .order_by(payable.c.id)).all()
    for currency in db.session.scalars(select(payable.c.currency).where(payable.c.kind == "provider_payable")
                                       .distinct()):
        ledger.clearing("payouts_clearing", currency)
    db.session.commit()
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start:start + CHUNK]
        with _planned_with_values():
            # Hold off every other debit of a payable until commit; a second run of this batch waits
            # too, then sees the debits made here.
            ledger.lock_payables_for_settlement()
            if locked_get(PayoutBatch, batch.id).status != BatchStatus.COLLECTING:
                db.session.rollback()  # a run that started from a stale read: another one closed the batch
                return
            # A chargeback recovery is deducted from what the provider is about to be paid, in the same step.
            chargebacks.take_recoveries(batch, chunk[0], chunk[-1])
            payouts.take_payouts(batch, chunk[0], chunk[-1])
            payouts.heartbeat(batch.id)
        db.session.commit()
        progress("collecting", start + len(chunk), len(account_ids))
    # Brands' approved withdrawals ride the same batch (by bank, whatever the batch's method).
    if locked_get(PayoutBatch, batch.id).status == BatchStatus.COLLECTING:
        withdrawals.take_into_batch(batch)
    db.session.commit()


@contextmanager
def _planned_with_values():
    """psycopg prepares a statement run 5 times, and PostgreSQL's generic plan for these range-bounded
    aggregates is ~10× slower than planning each chunk with its own values; so no preparing here.
    (`SET plan_cache_mode = force_custom_plan` would do it too, but it also re-plans every foreign-key
    check of the inserted rows, which doubles the chunk's time.)"""
    driver = db.session.connection().connection.driver_connection
    if not hasattr(driver, "prepare_threshold"):
        yield
        return
    before, driver.prepare_threshold = driver.prepare_threshold, None
    try:
        yield
    finally:
        driver.prepare_threshold = before


def _pay_by_stripe(batch: PayoutBatch, progress) -> int:
    """Send each pending payout's transfer; returns how many are still pending (a network error)."""
    ids = db.session.scalars(select(Payout.id).where(Payout.batch_id == batch.id, Payout.method == "stripe",
                                                      Payout.status == PayoutStatus.PENDING)
                             .order_by(Payout.id)).all()
    unsettled = 0
    for done, payout_id in enumerate(ids, 1):
        payout = locked_get(Payout, payout_id)
        if payout.status == PayoutStatus.PENDING:
            try:
                transfer = _transfer_for(batch, payout)
            except (stripe.InvalidRequestError, stripe.PermissionError) as exc:
                payouts.settle_failed(payout, exc.user_message or str(exc), None)
            except stripe.StripeError:
                current_app.logger.exception("transfer for payout %s not sent; the sweep retries it", payout_id)
                db.session.rollback()
                unsettled += 1
                continue
            else:
                payouts.settle_paid(payout, transfer.id, "stripe_clearing", None)
        payouts.heartbeat(batch.id)
        db.session.commit()
        progress("paying", done, len(ids))
    return unsettled


def _transfer_for(batch: PayoutBatch, payout: Payout):
    group = f"batch-{batch.id}"
    if batch.created_at < utcnow() - IDEMPOTENCY_WINDOW:  # the key may have expired: look first
        found = stripe_gateway.find_transfer(group, payout.id)
        if found is not None:
            return found
    return stripe_gateway.create_transfer(amount=payout.amount, currency=payout.currency,
                                          destination=payout.destination, transfer_group=group,
                                          payout_id=payout.id, idempotency_key=f"payout-{payout.id}")


