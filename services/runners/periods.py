"""The period sweep of retainer and metered contracts (workers.jobs.run_periods, every few minutes).

Each step picks its periods by a query on their state and clock, handles each in its own transaction
under the period's row lock, and records what it did on the row (a sent-at time, a new status, a
posting whose key names the period), so a second run — or two runs at once — finds nothing left to
do: funding reminders and start notices go once, auto-fund posts `fund:milestone:<id>` at most once.

  remind      3 days before a period starts, its brand is told to fund it (unless auto-fund is on)
  auto-fund   from the brand's wallet, when it switched auto-fund on, once the reminder window opens
  open        at its start a funded period starts (the provider is told); an unfunded one does not
  close       at its end a metered period still running is submitted for review with its usage, so
              the auto-release clock runs and the charge is settled even if nobody acts
"""
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Contract, Milestone, MilestoneDelivery, Organisation
from models.contract import ContractStatus, MilestoneStatus
from models.engagement import PERIODIC, Engagement
from services import destinations, escrow, ledger, notifications, period_money
from services.engagements import FUND_AHEAD
from services.locking import locked_get


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
    return {"milestone": milestone.title, "tender": milestone.contract.tender.title}


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


def run(now: datetime) -> dict:
    ahead = now + FUND_AHEAD
    pending = Milestone.status == MilestoneStatus.PENDING
    return {
        "auto_funded": _each("auto-fund", _periods(pending, Milestone.starts_at <= ahead, Contract.auto_fund.is_(True)),
                             lambda m: auto_fund(m, now)),
        "reminded": _each("remind", _periods(pending, Milestone.starts_at <= ahead,
                                            Milestone.funding_reminder_sent_at.is_(None)),
                          lambda m: remind(m, now)),
        "opened": _each("open", _periods(Milestone.starts_at <= now, Milestone.start_notice_sent_at.is_(None),
                                 Milestone.status.in_([MilestoneStatus.PENDING, MilestoneStatus.FUNDED])),
                        lambda m: open_period(m, now)),
        "closed": _each("close", _periods(Milestone.due_at <= now, Milestone.status == MilestoneStatus.FUNDED,
                                 Contract.engagement == Engagement.METERED),
                        lambda m: close_metered(m, now)),
    }
