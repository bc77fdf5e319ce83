"""Settlement: providers are paid what was released to them, once, after a holding period.

A batch runs in two stages, each safe to run again after a crash at any instruction:
1. collecting — for each chunk of provider payable accounts (locked), money credited at least
   PAYOUT_HOLD_DAYS ago and not yet paid out becomes one Payout per provider and currency when it
   reaches PAYOUT_MIN, posted `payout:<id>` (payable → payouts clearing) in the same transaction.
   A rerun finds nothing left for chunks already done: their payables were debited, and the unique
   (batch, provider, currency) constraint and posting keys refuse a second payout even if a bug
   recomputed one.
2. paying — on Stripe, one Transfer per payout with the payout's id as idempotency key (a crash after
   Stripe answered replays that answer instead of paying twice); the bank backend instead leaves
   the payouts to finance, who pay from the bank file and mark each paid or failed.
Only one batch is open at a time (unique `open_slot`), so starting a batch twice resumes the open one.
A paid payout posts `payout-paid:<id>` (payouts clearing → bank or Stripe clearing); a failed one posts
`payout-failed:<id>` (payouts clearing → payable), so the money waits for the next batch.
The rules are here; services/runners/payout_batch.py takes a batch through its stages in a worker.
"""
import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from extensions import db
from i18n import major_units
from models import LedgerAccount, LedgerEntry, LedgerPosting, Payout, PayoutAccount, PayoutBatch, User
from models.payout import BatchStatus, PayoutStatus
from models.status import transition
from models.suspension import payouts_held
from models.types import utcnow
from services import audit, csv_export, destinations, ledger, notifications, permissions, tasks, webhooks, withdrawals
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import paginate

CHUNK = 5000  # provider accounts per collecting transaction (one progress step)
STALE = timedelta(minutes=5)  # an open batch without progress for this long is resumed by the sweep
IDEMPOTENCY_WINDOW = timedelta(hours=23)  # Stripe keeps idempotency keys for 24 h; look up after that


def method() -> str:
    return "stripe" if current_app.config.get("STRIPE_SECRET_KEY") else "bank"


def _staff(user: User | None) -> None:
    if user is None or not user.is_admin:
        raise Forbidden(_l("Only platform finance manages payouts."))


# --- starting a batch (services/runners/payout_batch.py runs it) ---------------------------------

def open_batch() -> PayoutBatch | None:
    return db.session.scalar(select(PayoutBatch).where(PayoutBatch.open_slot == 1))


def anything_due() -> bool:
    """Whether a batch started now would pay anyone (its method, minimum and hold as configured now):
    with nothing due, no empty batch is made."""
    config = current_app.config
    would_be = SimpleNamespace(id=None, method=method(), min_amount=config["PAYOUT_MIN"],
                               cutoff=utcnow() - timedelta(days=config["PAYOUT_HOLD_DAYS"]))
    return db.session.execute(_due_payouts(would_be, None, None).limit(1)).first() is not None


def open_or_new_batch(actor: User | None = None) -> PayoutBatch:
    """The open batch if there is one, else a new one (in the caller's transaction). Two racing starts
    agree on one batch: the loser's insert hits the unique open slot, and it takes the winner's."""
    batch = open_batch()
    if batch is not None:
        return batch
    config = current_app.config
    batch = PayoutBatch(method=method(), status=BatchStatus.COLLECTING.value, open_slot=1,
                        min_amount=config["PAYOUT_MIN"],
                        cutoff=utcnow() - timedelta(days=config["PAYOUT_HOLD_DAYS"]),
                        created_by_id=actor.id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
    except IntegrityError:
        batch = open_batch()
        if batch is None:
            raise
    return batch


def request_batch(actor: User) -> tuple[PayoutBatch, str]:
    """Start (or resume) a batch and queue its job once that commits: the API, the admin button.
    Returns the job's id (a second request queues a second run, which finds the work done)."""
    _staff(actor)
    resumed = open_batch()
    if resumed is None and not anything_due():
        raise Conflict(_l("Nothing is due for payout now: no batch was started."), code="nothing_due")
    before = {"status": resumed.status, "job_id": resumed.job_id} if resumed else None
    batch = open_or_new_batch(actor)
    batch.job_id = job_id = uuid.uuid4().hex
    audit.record(actor, "payout_batch.request", "payout_batch", batch.id, before=before,
                 after={"status": batch.status, "job_id": job_id, "method": batch.method, "cutoff": batch.cutoff,
                        "min_amount": batch.min_amount})
    tasks.after_commit("run_payout_batch", batch.id, job_id=job_id, job_timeout=6 * 3600,
                       meta={"started_by": actor.id, "batch_id": batch.id})
    return batch, job_id


def heartbeat(batch_id: int) -> None:
    db.session.execute(update(PayoutBatch).where(PayoutBatch.id == batch_id).values(heartbeat_at=utcnow()))


# --- stage 1: collecting ---------------------------------------------------------------------------

def eligible_amounts(cutoff, lo: int | None = None, hi: int | None = None):
    """Per payable account: its balance minus credits still on hold (posted after the cutoff; a
    returned failed payout was held already, so it does not wait again). Only the postings after the
    cutoff are joined (an outer join by the created_at index): the balance needs none, so the ledger's
    whole history is not read again for each chunk of a batch."""
    a, e, p = LedgerAccount.__table__, LedgerEntry.__table__, LedgerPosting.__table__
    held = func.sum(db.case((and_(p.c.id.is_not(None), e.c.amount > 0), e.c.amount), else_=0))
    amount = (func.sum(e.c.amount) - held).label("amount")
    stmt = (select(a.c.id, a.c.user_id, a.c.currency, amount, func.sum(e.c.amount).label("balance"))
            .select_from(a).join(e, e.c.account_id == a.c.id)
            .outerjoin(p, and_(p.c.id == e.c.posting_id, p.c.created_at > cutoff, p.c.kind != "payout_reversal"))
            .where(a.c.kind == "provider_payable").group_by(a.c.id, a.c.user_id, a.c.currency))
    if lo is not None:
        stmt = stmt.where(a.c.id.between(lo, hi))
    return stmt


def take_payouts(batch: PayoutBatch, lo: int, hi: int) -> int:
    """Create the chunk's payouts and post each `payout:<id>`: one statement on PostgreSQL (the
    postings read the INSERT's RETURNING, and take each payable's id from the eligibility rows that
    produced the payout, rather than looking the account up again per payout), else an INSERT …
    RETURNING and then the postings."""
    payouts = Payout.__table__
    postgres = db.session.get_bind().dialect.name == "postgresql"
    due = _due_payouts(batch, lo, hi)
    if postgres:
        due = due.cte("due")
        due_rows = select(*(due.c[name] for name in PAYOUT_COLUMNS))
    else:
        due_rows = due.with_only_columns(*(column for column in due.selected_columns
                                           if column.name in PAYOUT_COLUMNS))
    # One payout per provider and currency in a batch: a second is skipped (see _due_payouts), and the
    # postings below are made for the rows inserted only.
    new_payouts = ((postgresql.insert if postgres else sqlite.insert)(payouts)
                   .from_select(PAYOUT_COLUMNS, due_rows)
                   .on_conflict_do_nothing(index_elements=["batch_id", "provider_id", "currency"])
                   .returning(payouts.c.id, payouts.c.provider_id, payouts.c.currency, payouts.c.amount))
    if postgres:
        made = new_payouts.cte("made")
        # the row that made each payout (one per provider and currency), for its payable's id
        payables = select(due.c.provider_id, due.c.currency, due.c.payable_id).subquery("payables")
    else:
        ids = db.session.scalars(new_payouts).all()
        if not ids:
            return 0
        # An id range is exact here: the chunk's providers are locked, so every payout of this batch
        # in that range was made by this transaction.
        made = select(payouts).where(payouts.c.batch_id == batch.id, payouts.c.id.between(min(ids), max(ids)))
        made = made.subquery()
        # By the accounts themselves: the postings are read twice here (ledger.post_transfers), the second
        # time after they debited the payables, when the eligibility rows would no longer have them.
        account = LedgerAccount.__table__
        payables = (select(account.c.user_id.label("provider_id"), account.c.currency,
                           account.c.id.label("payable_id"))
                    .where(account.c.kind == "provider_payable").subquery("payables"))
    return ledger.post_transfers(_payout_postings(batch, made, payables), "payout", meta={"batch_id": batch.id})


PAYOUT_COLUMNS = ["batch_id", "provider_id", "currency", "amount", "method", "status", "destination", "payee_name",
                  "payee_bank", "created_at", "kind"]


def _due_payouts(batch: PayoutBatch, lo: int, hi: int):
    """The chunk's payouts to make (PAYOUT_COLUMNS, then `payable_id`): enough money past the hold and a
    destination that can receive it.
    A provider already paid in this batch has nothing left past the hold (its payout debited it) —
    unless a failed payout returned money to it while a crashed batch waited to be resumed: the
    INSERT skips that one (ON CONFLICT DO NOTHING), and the money waits for the next batch."""
    due = eligible_amounts(batch.cutoff, lo, hi).subquery()
    dest, payouts, users = PayoutAccount.__table__, Payout.__table__, User.__table__
    if batch.method == "stripe":
        ready = and_(dest.c.stripe_account_id.is_not(None), dest.c.stripe_payouts_enabled)
        destination, name, bank = dest.c.stripe_account_id, literal(None, String), literal(None, String)
    else:
        ready = and_(func.coalesce(dest.c.bank_account_number, "") != "", func.coalesce(dest.c.bank_name, "") != "",
                     func.coalesce(dest.c.bank_account_name, "") != "")
        destination, name, bank = dest.c.bank_account_number, dest.c.bank_account_name, dest.c.bank_name
    values = [literal(batch.id), due.c.user_id, due.c.currency, due.c.amount, literal(batch.method),
              literal(PayoutStatus.PENDING.value), destination, name, bank,
              literal(utcnow(), payouts.c.created_at.type), literal("earnings")]  # (a brand's: withdrawals)
    # named as PAYOUT_COLUMNS, and then the payable the amount is in (take_payouts posts from it)
    return (select(*(value.label(name) for value, name in zip(values, PAYOUT_COLUMNS, strict=True)),
                   due.c.id.label("payable_id"))
            .select_from(due).join(dest, dest.c.provider_id == due.c.user_id)
            .join(users, users.c.id == due.c.user_id)
            # a provider who has not verified its e-mail address is not paid: its payable waits; so does one
            # whose payouts staff held on suspending it (a suspension alone does not stop earned money)
            .where(due.c.amount >= batch.min_amount, ready, users.c.email_verified_at.is_not(None),
                   ~payouts_held(users.c.id)))


def due_in_chunk(batch: PayoutBatch, lo: int, hi: int, provider_ids) -> dict[tuple[int, str], int]:
    """(provider, currency) → what the chunk's payouts to these providers would be now (before any is made)."""
    due = _due_payouts(batch, lo, hi).subquery()
    return {(user_id, currency): int(amount) for user_id, currency, amount in db.session.execute(
        select(due.c.provider_id, due.c.currency, due.c.amount).where(due.c.provider_id.in_(list(provider_ids))))}


def _payout_postings(batch: PayoutBatch, made, payables):
    """`payout:<id>` for each payout in `made` (id, provider_id, currency, amount): payable → clearing,
    the payable's id from `payables` (provider_id, currency, payable_id)."""
    clearing = LedgerAccount.__table__.alias("clearing")
    return (select((literal("payout:") + cast(made.c.id, String)).label("key"),
                   literal(f"payout batch {batch.id}").label("memo"), literal(f"batch:{batch.id}").label("reference"),
                   payables.c.payable_id.label("from_account_id"), clearing.c.id.label("to_account_id"),
                   made.c.amount, made.c.currency)
            .select_from(made)
            .join(payables, and_(payables.c.provider_id == made.c.provider_id,
                                 payables.c.currency == made.c.currency))
            .join(clearing, and_(clearing.c.kind == "payouts_clearing", clearing.c.currency == made.c.currency)))


# --- stage 2: paying -------------------------------------------------------------------------------

def settle_paid(payout: Payout, reference: str, clearing_kind: str, actor: User | None) -> None:
    ledger.post(f"payout-paid:{payout.id}", "payout_paid",
                [(ledger.clearing("payouts_clearing", payout.currency), -payout.amount),
                 (ledger.clearing(clearing_kind, payout.currency), payout.amount)],
                memo=f"payout {payout.id}", reference=reference, actor_id=actor.id if actor else None,
                meta={"payout_id": payout.id, "batch_id": payout.batch_id})
    transition(payout, PayoutStatus.PAID)
    payout.settled_at = utcnow()
    if clearing_kind == "stripe_clearing":
        payout.transfer_id = reference
    else:
        payout.bank_reference = reference
    payout.decided_by_id = actor.id if actor else None
    if payout.kind == "withdrawal":  # a brand's withdrawals: they follow, and the brand hears on its wallet
        withdrawals.settle_payout(payout, actor)
        return
    notifications.notify([payout.provider_id], "payout_paid", to=destinations.PAYOUTS, amount=payout.amount,
                         currency=payout.currency)
    webhooks.emit("payout.paid", f"payout:{payout.id}", webhooks.payout_data(payout), [payout.provider_id])


def settle_failed(payout: Payout, reason: str, actor: User | None) -> None:
    # back where the payout took it from: the provider's payable, or a brand's withdrawal hold (from which
    # withdrawals.settle_payout returns each withdrawal to the wallet)
    source = (withdrawals.hold(payout.provider_id, payout.currency) if payout.kind == "withdrawal"
              else ledger.payable(payout.provider_id, payout.currency))
    ledger.post(f"payout-failed:{payout.id}", "payout_reversal",
                [(ledger.clearing("payouts_clearing", payout.currency), -payout.amount), (source, payout.amount)],
                memo=reason, reference=f"payout:{payout.id}", actor_id=actor.id if actor else None,
                meta={"payout_id": payout.id, "batch_id": payout.batch_id})
    transition(payout, PayoutStatus.FAILED)
    payout.settled_at, payout.failure_reason = utcnow(), reason[:2000]
    payout.decided_by_id = actor.id if actor else None
    if payout.kind == "withdrawal":
        withdrawals.settle_payout(payout, actor)
        return
    notifications.notify([payout.provider_id], "payout_failed", to=destinations.PAYOUTS, amount=payout.amount,
                         currency=payout.currency, reason=reason[:500])
    webhooks.emit("payout.failed", f"payout:{payout.id}", webhooks.payout_data(payout), [payout.provider_id])


# --- finance: bank payouts -------------------------------------------------------------------------

def _pending_bank_payout(staff: User, payout_id: int) -> Payout:
    _staff(staff)
    payout = locked_get(Payout, payout_id)
    if payout is None:
        raise NotFound()
    if payout.method != "bank":
        raise Conflict(_l("Stripe payouts are settled by Stripe, not by hand."), code="not_bank_payout")
    if payout.status != PayoutStatus.PENDING:
        raise Conflict(_l("This payout is already settled."), code="already_settled")
    return payout


def _settlement(payout: Payout) -> dict:
    """What marking a bank payout changes, for the audit log (amount and batch for context)."""
    return {"status": payout.status, "bank_reference": payout.bank_reference, "amount": payout.amount,
            "currency": payout.currency, "batch_id": payout.batch_id}


def mark_paid(staff: User, payout_id: int, reference: str) -> Payout:
    reference = (reference or "").strip()
    check({"reference": not 3 <= len(reference) <= 100 and _l("Enter the bank transfer's reference.")})
    payout = _pending_bank_payout(staff, payout_id)
    before = _settlement(payout)
    settle_paid(payout, reference, "bank_clearing", staff)
    audit.record(staff, "payout.mark_paid", "payout", payout.id, before=before, after=_settlement(payout),
                 affected_user_id=payout.provider_id)
    return payout


def mark_failed(staff: User, payout_id: int, reason: str) -> Payout:
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 500 and _l("Explain why the payout failed (3 to 500 characters).")})
    payout = _pending_bank_payout(staff, payout_id)
    before = _settlement(payout)
    settle_failed(payout, reason, staff)
    audit.record(staff, "payout.mark_failed", "payout", payout.id, before=before, after=_settlement(payout),
                 reason=reason, affected_user_id=payout.provider_id)
    return payout


BANK_FILE_COLUMNS = ("payout_id", "batch_id", "provider_id", "payee_name", "bank", "account_number", "amount",
                     "currency", "remark")


def bank_file(batch_id: int) -> str:
    """The batch's pending bank payouts as CSV for the bank's bulk-transfer upload (amounts in major
    units with two decimals, computed from integers; the remark lets finance match the statement)."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound()
    if batch.status != BatchStatus.CLOSED:  # half a batch in the bank's hands would pay the rest by hand
        raise Conflict(_l("The batch is still being collected; the bank file is ready when it closes."),
                       code="batch_open")
    # bank payouts only: a Stripe batch carries brands' withdrawals by bank too
    rows = db.session.scalars(select(Payout).where(Payout.batch_id == batch_id, Payout.status == PayoutStatus.PENDING,
                                                   Payout.method == "bank").order_by(Payout.id))
    # names and bank details are the provider's text: the shared writer keeps them from running as formulas
    # (the route adds the BOM for Excel)
    return csv_export.render([BANK_FILE_COLUMNS, *([p.id, p.batch_id, p.provider_id, p.payee_name, p.payee_bank,
                                                   p.destination, major_units(p.amount, p.currency), p.currency,
                                                   f"Witkey payout {p.id}"] for p in rows)], bom=False)


# --- reading ---------------------------------------------------------------------------------------

def summary(batch: PayoutBatch) -> dict:
    return summaries([batch])[batch.id]


def summaries(batches: list[PayoutBatch]) -> dict[int, dict]:
    """Each batch's payouts by status and totals by currency, in one query for a page of batches."""
    out = {b.id: {"batch_id": b.id, "status": b.status, "method": b.method, "payouts": 0, "by_status": {},
                  "totals": {}} for b in batches}
    rows = db.session.execute(select(Payout.batch_id, Payout.status, Payout.currency, func.count(),
                                     func.sum(Payout.amount))
                              .where(Payout.batch_id.in_(list(out)))
                              .group_by(Payout.batch_id, Payout.status, Payout.currency))
    for batch_id, status, currency, count, amount in rows:
        found = out[batch_id]
        found["payouts"] += count
        found["by_status"][status] = found["by_status"].get(status, 0) + count
        found["totals"][currency] = found["totals"].get(currency, 0) + int(amount)
    return out


def batches(page: int = 1, per_page: int = 20):
    return paginate(select(PayoutBatch).order_by(PayoutBatch.id.desc()), page, per_page)


def get_batch(staff: User, batch_id: int) -> PayoutBatch:
    _staff(staff)
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        raise NotFound()
    return batch


def payouts_for(user: User, *, batch_id: int | None = None, status: str | None = None, page: int = 1,
                per_page: int = 50):
    """A provider's own payouts; staff see all (optionally one batch's)."""
    if not (user.is_admin or user.is_provider):
        raise Forbidden()
    stmt = select(Payout)
    if not user.is_admin:
        permissions.require(user, "statements.read")
        stmt = stmt.where(Payout.provider_id == user.account_id)
    if batch_id is not None:
        stmt = stmt.where(Payout.batch_id == batch_id)
    if status:
        stmt = stmt.where(Payout.status == status)
    return paginate(stmt.order_by(Payout.id.desc()), page, per_page)


@dataclass(frozen=True)
class Outlook:
    currency: str
    balance: int  # everything in payable
    ready: int  # would go in a batch run now
    on_hold: int  # credited within the holding period


def outlook(provider: User) -> list[Outlook]:
    """What the provider's payable holds, what the next batch would pay, and what is still on hold."""
    cutoff = utcnow() - timedelta(days=current_app.config["PAYOUT_HOLD_DAYS"])
    due = eligible_amounts(cutoff).where(LedgerAccount.__table__.c.user_id == provider.account_id)
    return [Outlook(currency=row.currency, balance=int(row.balance), ready=max(int(row.amount), 0),
                    on_hold=int(row.balance) - max(int(row.amount), 0)) for row in db.session.execute(due)]


