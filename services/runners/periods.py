"""The period sweep of retainer and metered contracts (workers.jobs.run_periods, every few minutes).

Each step picks its periods by a query on their state and clock and records what it did on the row
(a sent-at time, a new status, a posting whose key names the period), so a second run — or two runs
at once — finds nothing left to do: funding reminders and start notices go once, auto-fund posts
`fund:milestone:<id>` at most once.

  remind      3 days before a period starts, its brand is told to fund it (unless auto-fund is on)
  auto-fund   from the brand's wallet, when it switched auto-fund on, once the reminder window opens
  open        at its start a funded period starts (the provider is told); an unfunded one does not
  close       at its end a metered period still running is submitted for review with its usage, so
              the auto-release clock runs and the charge is settled even if nobody acts

Remind, auto-fund and open run set-based, CHUNK periods per transaction (thousands of contracts come
due together at a month's turn): the chunk's periods are row-locked, skipping those another sweep or
a brand's own fund request holds (services.locking.claim_rows), and their rows — postings and entries,
status changes, events, notifications, webhook events — are written with one statement per kind. A
chunk that fails is rolled back and its periods are done one by one (the per-period functions below,
each in its own transaction), so one odd period does not hold back the others. Close, rare and
touching deliveries, runs per period.
"""
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, null, select, update
from sqlalchemy.orm import aliased

from extensions import db
from models import (
    Contract,
    LedgerAccount,
    LedgerPosting,
    Milestone,
    MilestoneDelivery,
    MilestoneEvent,
    Organisation,
    Tender,
    User,
)
from models.contract import ContractStatus, MilestoneStatus
from models.engagement import PERIODIC, Engagement
from models.types import utcnow
from services import bulk, destinations, escrow, ledger, notifications, period_money, webhooks
from services.engagements import FUND_AHEAD
from services.locking import claim_rows, locked_get

CHUNK = 1000  # periods per transaction in the set-based steps


def _periods(*conditions):
    """Ids of periods of active retainer/metered contracts matching `conditions`, oldest first."""
    return list(db.session.scalars(
        select(Milestone.id).join(Contract, Contract.id == Milestone.contract_id)
        .where(Milestone.period_index.is_not(None), Contract.status == ContractStatus.ACTIVE,
               Contract.engagement.in_([e.value for e in PERIODIC]), *conditions)
        .order_by(Milestone.starts_at, Milestone.id)))


def _each(name: str, ids, step) -> int:
    """Run `step(milestone)` for each period in its own transaction; one that fails is logged and
    left for the next sweep. Returns how many did something."""
    done = 0
    for milestone_id in ids:
        try:
            milestone = locked_get(Milestone, milestone_id)
            done += bool(step(milestone))
            db.session.commit()
        except Exception:  # one odd period must not hold back the others
            db.session.rollback()
            current_app.logger.exception("period %s: step %s failed", milestone_id, name)
    return done


def _about(milestone: Milestone) -> dict:
    return {"milestone": milestone.title, "tender": milestone.contract.title}


def _link(milestone: Milestone):
    return destinations.milestone(milestone.contract_id, milestone.id)


def remind(milestone: Milestone, now: datetime) -> bool:
    if milestone.status != MilestoneStatus.PENDING or milestone.funding_reminder_sent_at is not None:
        return False
    milestone.funding_reminder_sent_at = now
    notifications.notify([milestone.contract.brand_id], "period_funding_due", to=_link(milestone),
                         starts_at=milestone.starts_at.isoformat(), **_about(milestone))
    return True


def auto_fund(milestone: Milestone, now: datetime) -> bool:
    """Fund from the brand's wallet; a wallet that does not cover it, or a period above the amount the
    brand's organisation wants two members to confirm (nobody confirms for the job), gets the reminder
    instead — a member then funds it by hand under the two-member rule."""
    contract = milestone.contract
    if milestone.status != MilestoneStatus.PENDING or not contract.auto_fund or contract.provider.is_suspended:
        return False
    two_members_above = db.session.scalar(select(Organisation.dual_fund_above)
                                          .where(Organisation.account_user_id == contract.brand_id))
    if two_members_above is not None and milestone.amount > two_members_above:
        remind(milestone, now)
        return False
    wallet = ledger.wallet(contract.brand, milestone.currency)
    ledger.lock(wallet)
    if ledger.balance(wallet) < milestone.amount or ledger.is_posted(f"fund:milestone:{milestone.id}"):
        remind(milestone, now)
        return False
    escrow.fund_from_wallet(contract.brand, milestone)
    notifications.notify([contract.brand_id], "period_auto_funded", to=_link(milestone), **_about(milestone))
    return True


def open_period(milestone: Milestone, now: datetime) -> bool:
    if milestone.start_notice_sent_at is not None or milestone.status not in (MilestoneStatus.PENDING,
                                                                              MilestoneStatus.FUNDED):
        return False
    milestone.start_notice_sent_at = now
    kind = "period_started" if milestone.status == MilestoneStatus.FUNDED else "period_not_started"
    notifications.notify([milestone.contract.provider_id], kind, to=_link(milestone), **_about(milestone))
    return True


def close_metered(milestone: Milestone, now: datetime) -> bool:
    """Submit a metered period's usage for review at its end (as if the provider had delivered)."""
    if milestone.status != MilestoneStatus.FUNDED or milestone.contract.engagement != Engagement.METERED:
        return False
    quantity = period_money.quantity_of(milestone)
    note = str(_l("Period ended: %(quantity)s units used, %(charge)s to pay (minor units).", quantity=quantity,
                  charge=period_money.charge_of(milestone, quantity)))
    version = len(milestone.deliveries) + 1
    escrow.transition(milestone, MilestoneStatus.DELIVERED, None, note=note, version=version, closed=True)
    milestone.deliveries.append(MilestoneDelivery(version=version, note=note, links=[]))
    milestone.delivered_at = now  # the auto-release clock starts
    milestone.release_reminder_sent_at = None
    notifications.notify([milestone.contract.brand_id, milestone.contract.provider_id], "period_closed",
                         to=_link(milestone), milestone=milestone.title)
    return True


# --- set-based steps, CHUNK periods per transaction ---------------------------------------------------

def _due(*conditions):
    """Periods of active retainer/metered contracts matching `conditions`, as plain rows of the columns
    the set-based steps read, their contract's and tender's with them (thousands of periods per sweep:
    rows, not ORM objects to build, track and collect)."""
    return (select(Milestone.id, Milestone.contract_id, Milestone.title, Milestone.amount, Milestone.currency,
                   Milestone.status, Milestone.starts_at, Milestone.funding_reminder_sent_at,
                   Milestone.start_notice_sent_at, Contract.brand_id, Contract.provider_id, Contract.auto_fund,
                   Contract.currency.label("contract_currency"), Tender.title.label("tender_title"))
            .join(Contract, Contract.id == Milestone.contract_id).join(Tender, Tender.id == Contract.tender_id)
            .where(Milestone.period_index.is_not(None), Contract.status == ContractStatus.ACTIVE,
                   Contract.engagement.in_([e.value for e in PERIODIC]), *conditions))


def _in_chunks(name: str, conditions, step, single) -> int:
    """Claim the periods matching `conditions` CHUNK at a time (lowest id first) and run
    `step(periods)` on each chunk (rows of `_due`) in its own transaction; a chunk that fails is redone
    period by period with `single(milestone)`. Returns how many periods had something done."""
    done, after = 0, 0
    while True:
        periods = claim_rows(_due(*conditions, Milestone.id > after).order_by(Milestone.id).limit(CHUNK), Milestone)
        if not periods:
            db.session.rollback()
            return done
        after, ids = periods[-1].id, [m.id for m in periods]
        try:
            done += step(periods)
            db.session.commit()
        except Exception:  # one odd period must not hold back the others of its chunk
            db.session.rollback()
            current_app.logger.exception("periods %s–%s: step %s failed as a chunk; one by one", ids[0], ids[-1], name)
            done += _each(name, ids, single)


def _about_row(m) -> dict:
    """What a period's notices say it is about (`_about` and the contract `notify` would look up)."""
    return {"milestone": m.title, "tender": m.tender_title,
            "about": {"type": "contract", "id": m.contract_id, "title": m.tender_title}}


def _stamp(periods, **changes) -> None:
    if periods:
        table = Milestone.__table__
        db.session.execute(update(table).where(bulk.among(table.c.id, [m.id for m in periods])).values(**changes))


def _remind_all(periods, now: datetime) -> int:
    due = [m for m in periods if m.status == MilestoneStatus.PENDING and m.funding_reminder_sent_at is None]
    if not due:
        return 0
    _stamp(due, funding_reminder_sent_at=now)
    notifications.notify_many(([m.brand_id], "period_funding_due", _link(m),
                               {"starts_at": m.starts_at.isoformat(), **_about_row(m)}) for m in due)
    return len(due)


def _open_all(periods, now: datetime) -> int:
    due = [m for m in periods if m.start_notice_sent_at is None
           and m.status in (MilestoneStatus.PENDING, MilestoneStatus.FUNDED)]
    if not due:
        return 0
    _stamp(due, start_notice_sent_at=now)
    notifications.notify_many(
        ([m.provider_id], "period_started" if m.status == MilestoneStatus.FUNDED else "period_not_started",
         _link(m), _about_row(m)) for m in due)
    return len(due)


def _auto_fund_all(periods, now: datetime) -> int:
    """`auto_fund` for a chunk: each brand's wallet locked and read once, its periods funded in order
    of their start while its balance covers them; the others get the reminder, as one by one."""
    periods = sorted((m for m in periods if m.status == MilestoneStatus.PENDING and m.auto_fund
                      and MilestoneStatus.FUNDED in Milestone.TRANSITIONS.get(m.status, ())),
                     key=lambda m: (m.starts_at, m.id))
    # a contract's provider is an account (its organisation's principal): suspended is its own mark
    ids = {m.provider_id for m in periods}
    suspended = set(db.session.scalars(User.suspended_ids().where(bulk.among(User.id, ids)))) if ids else set()
    periods = [m for m in periods if m.provider_id not in suspended]
    brands = {m.brand_id for m in periods}
    two_members_above = dict(db.session.execute(
        select(Organisation.account_user_id, Organisation.dual_fund_above)
        .where(Organisation.account_user_id.in_(brands), Organisation.dual_fund_above.is_not(None))).all())
    posted = set(db.session.scalars(select(LedgerPosting.key).where(bulk.among(LedgerPosting.key,
                                                                               [_key(m) for m in periods]))))
    wallets = {}
    for brand_id, currency in sorted({(m.brand_id, m.currency) for m in periods}):  # one lock order
        wallet = ledger.account("brand_wallet", currency, user_id=brand_id)
        ledger.lock(wallet)
        wallets[brand_id, currency] = [wallet.id, ledger.balance(wallet)]
    funded, short = [], []
    for m in periods:
        wallet = wallets[m.brand_id, m.currency]
        limit = two_members_above.get(m.brand_id)
        if (limit is not None and m.amount > limit) or wallet[1] < m.amount or _key(m) in posted:
            short.append(m)
            continue
        wallet[1] -= m.amount
        funded.append(m)
    _remind_all(short, now)
    _fund_all(funded)
    return len(funded)


def _key(milestone) -> str:
    return f"fund:milestone:{milestone.id}"


def _fund_all(periods) -> None:
    """What escrow.fund_from_wallet and mark_funded write for one period, for all of them: the
    `fund:milestone:<id>` postings (wallet → escrow), the status change with its event, the provider's
    and the brand's notices and the milestone.funded webhook events."""
    if not periods:
        return
    escrows = ledger.escrows({m.id: m.currency for m in periods})
    wallet, escrow_account = aliased(LedgerAccount), aliased(LedgerAccount)
    # driven from the escrow accounts' ids: the planner's statistics have not seen those rows yet
    ledger.post_transfers(
        select((literal("fund:milestone:") + cast(Milestone.id, String)).label("key"),
               func.substr(Milestone.title, 1, 500).label("memo"), null().label("reference"),
               wallet.id.label("from_account_id"), escrow_account.id.label("to_account_id"), Milestone.amount,
               Milestone.currency, Milestone.id.label("milestone_id"), Contract.brand_id.label("actor_id"))
        .select_from(escrow_account)
        .join(Milestone, Milestone.id == escrow_account.milestone_id)
        .join(Contract, Contract.id == Milestone.contract_id)
        .join(wallet, (wallet.kind == "brand_wallet") & (wallet.user_id == Contract.brand_id)
              & (wallet.currency == Milestone.currency))
        .where(bulk.among(escrow_account.id, escrows.values())), "fund")
    funded_at = utcnow()
    _stamp(periods, status=MilestoneStatus.FUNDED.value, funded_at=funded_at,
           funded_amount=Milestone.__table__.c.amount)
    bulk.insert_rows(MilestoneEvent.__table__, [
        {"milestone_id": m.id, "kind": str(MilestoneStatus.FUNDED), "actor_id": m.brand_id, "note": "",
         "data": {"source": "wallet"}, "created_at": funded_at} for m in periods])
    about = {m.id: _about_row(m) for m in periods}
    notifications.notify_many(
        [([m.provider_id], "milestone_funded", _link(m), {"milestone": m.title, "about": about[m.id]["about"]})
         for m in periods]
        + [([m.brand_id], "period_auto_funded", _link(m), about[m.id]) for m in periods])
    webhooks.emit_many("milestone.funded", [
        (f"milestone:{m.id}", webhooks.milestone_row_data(m, m.contract_currency, MilestoneStatus.FUNDED.value),
         webhooks.contract_audience(m)) for m in periods])


def run(now: datetime) -> dict:
    ahead = now + FUND_AHEAD
    pending = Milestone.status == MilestoneStatus.PENDING
    return {
        "auto_funded": _in_chunks("auto-fund", (pending, Milestone.starts_at <= ahead, Contract.auto_fund.is_(True)),
                                  lambda chunk: _auto_fund_all(chunk, now), lambda m: auto_fund(m, now)),
        "reminded": _in_chunks("remind", (pending, Milestone.starts_at <= ahead,
                                          Milestone.funding_reminder_sent_at.is_(None)),
                               lambda chunk: _remind_all(chunk, now), lambda m: remind(m, now)),
        "opened": _in_chunks("open", (Milestone.starts_at <= now, Milestone.start_notice_sent_at.is_(None),
                                      Milestone.status.in_([MilestoneStatus.PENDING, MilestoneStatus.FUNDED])),
                             lambda chunk: _open_all(chunk, now), lambda m: open_period(m, now)),
        "closed": _each("close", _periods(Milestone.due_at <= now, Milestone.status == MilestoneStatus.FUNDED,
                                 Contract.engagement == Engagement.METERED),
                        lambda m: close_metered(m, now)),
    }
