"""Ongoing engagements: retainer and metered contracts paid period by period, and KPI terms.

One period is one milestone (Milestone.period_index), so funding, delivery, acceptance, auto-release,
disputes, statements and payouts run through services/escrow.py as for any milestone; how much a
period holds and pays is services/period_money.py. This module holds the terms (tender, bid), the
periods made at the award, and usage records."""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from extensions import db
from models import Contract, Milestone, Review, Tender, UsageRecord, User
from models.contract import DISPUTABLE, MEASURABLE, ContractStatus, MilestoneStatus
from models.engagement import MAX_BPS, MAX_PERIODS, PERIOD_DAYS, PERIODIC, Engagement
from models.types import utcnow
from services import destinations, escrow, funding, notifications, permissions, webhooks
from services.contracts import contract_for
from services.errors import Conflict, Forbidden, check
from services.escrow import milestone_for
from services.locking import locked_get
from services.period_money import charge_of, max_bonus, quantity_of

MAX_QUANTITY = 10**9  # units in one usage record: anything above is a typo
FUND_AHEAD = timedelta(days=3)  # funding reminders and auto-fund this long before a period starts
# Not while submitted for review (delivered): the brand accepts the count it reviewed, and an
# auto-release pays that count, not one raised after the submission.
USAGE_OPEN = (MilestoneStatus.FUNDED, MilestoneStatus.CHANGES_REQUESTED)


# --- terms, as posted with a tender and a bid ---------------------------------------------------------

def tender_errors(engagement: str, period_days, periods, unit, kpis) -> dict:
    """Field errors of a tender's engagement terms (only the fields that fail: merged into the
    tender's own checks, they must not mask another check of the same field)."""
    periodic = engagement in PERIODIC
    unit = (unit or "").strip()
    errors = {
        "engagement": engagement not in tuple(Engagement) and _l("Choose fixed, retainer or metered."),
        "period_days": periodic and not (isinstance(period_days, int)
                                         and PERIOD_DAYS[0] <= period_days <= PERIOD_DAYS[1])
        and _l("A period lasts %(least)s to %(most)s days.", least=PERIOD_DAYS[0], most=PERIOD_DAYS[1]),
        "periods": periodic and not (isinstance(periods, int) and 1 <= periods <= MAX_PERIODS)
        and _l("Choose 1 to %(most)s periods.", most=MAX_PERIODS),
        "unit": engagement == Engagement.METERED and not 1 <= len(unit) <= 40
        and _l("Name the unit you pay for (e.g. conversation, order, photo, hour)."),
        "kpis": any(not (isinstance(k.bonus_bps, int) and 0 <= k.bonus_bps <= MAX_BPS
                         and isinstance(k.penalty_bps, int) and 0 <= k.penalty_bps <= MAX_BPS) for k in kpis)
        and _l("A KPI's bonus and penalty are each 0 to %(most)s basis points (%(share)s%%).", most=MAX_BPS,
               share=MAX_BPS // 100),
    }
    return {field: why for field, why in errors.items() if why}


def apply_tender_terms(tender: Tender, engagement: str, period_days, periods, unit) -> None:
    tender.engagement = engagement
    periodic = engagement in PERIODIC
    tender.period_days = period_days if periodic else None
    tender.periods = periods if periodic else None
    tender.unit = (unit or "").strip() if engagement == Engagement.METERED else None


# --- periods, made at the award ----------------------------------------------------------------------

def period_milestones(tender: Tender, bid, now) -> list[Milestone]:
    """One pending milestone per period: the first starts at the award, each lasts `period_days`."""
    base = bid.cap_per_period if tender.engagement == Engagement.METERED else bid.amount
    bonus = max_bonus(base, tender.kpis)
    length = timedelta(days=tender.period_days)
    return [Milestone(position=i, period_index=i, title=str(_l("Period %(n)s", n=i + 1)), base_amount=base,
                      amount=base + bonus, currency=bid.currency, status=MilestoneStatus.PENDING.value,
                      starts_at=now + i * length, due_at=now + (i + 1) * length)
            for i in range(tender.periods)]


# --- usage (metered periods) --------------------------------------------------------------------------

@dataclass
class UsageResult:
    quantity_total: int
    charge: int


def record_usage(actor: User, milestone_id: int, quantity, note: str = "") -> UsageResult:
    """Units used in a funded metered period, by its provider (or the brand's own system). The row
    lock on the period serialises recorders, so each sees the total including the ones before it."""
    # the period locked, with its contract and the contract's tender (the unit) read in the same statement
    milestone = milestone_for(actor, milestone_id, lock=True,
                              options=(joinedload(Milestone.contract).joinedload(Contract.tender),))
    contract = milestone.contract
    if actor.account_id == contract.provider_id:
        permissions.require(actor, "milestone.deliver", milestone)
    elif actor.account_id == contract.brand_id:
        permissions.require(actor, "contract.manage", milestone)
    else:
        raise Forbidden(_l("Only the contract's parties record usage."))
    note = (note or "").strip()
    check({"quantity": not (isinstance(quantity, int) and not isinstance(quantity, bool)
                            and 1 <= quantity <= MAX_QUANTITY)
           and _l("Enter a whole number of units, 1 or more."),
           "note": len(note) > 2000 and _l("At most 2000 characters.")})
    if contract.engagement != Engagement.METERED or milestone.period_index is None:
        raise Conflict(_l("Usage is recorded on the periods of a metered contract."), code="not_metered")
    if milestone.status not in USAGE_OPEN:
        raise Conflict(_l("Usage is recorded on a funded period that is not in review, settled or disputed."),
                       code="period_not_open")
    db.session.add(UsageRecord(milestone_id=milestone.id, quantity=quantity, note=note, recorded_by_id=actor.id))
    db.session.flush()
    total = quantity_of(milestone)
    result = UsageResult(quantity_total=total, charge=charge_of(milestone, total))
    other = contract.brand_id if actor.account_id == contract.provider_id else contract.provider_id
    notifications.notify([other], "usage_recorded", to=destinations.milestone(contract.id, milestone.id),
                         milestone=milestone.title, quantity=quantity, unit=contract.tender.unit or "")
    webhooks.emit("usage.recorded", f"milestone:{milestone.id}",
                  {"usage": {"milestone_id": milestone.id, "contract_id": contract.id, "quantity": quantity,
                             "quantity_total": total, "charge": result.charge, "currency": milestone.currency}},
                  webhooks.contract_audience(contract))
    return result


@dataclass(frozen=True)
class PeriodActions:
    """What the contract page may offer on a contract and its milestones, by the status rules here
    (templates never compare statuses themselves)."""

    running: bool  # the contract is active: auto-fund, notice, number of periods

    @staticmethod
    def usage_open(milestone: Milestone) -> bool:
        return (milestone.contract.engagement == Engagement.METERED and milestone.period_index is not None
                and milestone.status in USAGE_OPEN)

    @staticmethod
    def measurable(milestone: Milestone) -> bool:
        return milestone.status in MEASURABLE

    @staticmethod
    def contestable(milestone: Milestone) -> bool:
        return milestone.status in DISPUTABLE


def page_actions(contract: Contract) -> PeriodActions:
    return PeriodActions(running=contract.status == ContractStatus.ACTIVE)


def set_auto_fund(actor: User, contract_id: int, on: bool):
    """The brand lets the periodic job fund each coming period from its wallet."""
    contract = contract_for(actor, contract_id)
    if actor.account_id != contract.brand_id:
        raise Forbidden(_l("Only the contract's brand can do that."))
    permissions.require(actor, "milestone.fund", contract)
    if contract.engagement not in PERIODIC:
        raise Conflict(_l("Only retainer and metered contracts are funded period by period."), code="not_periodic")
    contract.auto_fund = bool(on)
    return contract


# --- changing and ending --------------------------------------------------------------------------------

def _party_contract(actor: User, contract_id: int):
    """The contract, row-locked, for one of its parties (its side: "brand" or "provider"), while it runs
    period by period."""
    contract = contract_for(actor, contract_id)
    contract = locked_get(Contract, contract.id)
    if actor.account_id == contract.brand_id:
        side = "brand"
    elif actor.account_id == contract.provider_id:
        side = "provider"
    else:
        raise Forbidden(_l("Only the contract's parties can do that."))
    permissions.require(actor, "contract.manage" if side == "brand" else "milestone.deliver", contract)
    if contract.engagement not in PERIODIC or contract.status != ContractStatus.ACTIVE:
        raise Conflict(_l("Only a running retainer or metered contract can be changed or ended."),
                       code="not_periodic")
    return contract, side


def _running_index(contract: Contract, now) -> int:
    """The index of the period running now (-1 before the first starts)."""
    started = [m.period_index for m in contract.milestones if m.starts_at is not None and m.starts_at <= now]
    return max(started, default=-1)


def _end_after(contract: Contract, last: int, actor: User) -> None:
    """No period after index `last` runs: the ones not funded are cancelled (no money moved); a
    funded one stays and settles by the normal rules (delivery and release, or a dispute)."""
    contract.ends_after_period = last if contract.ends_after_period is None else min(last, contract.ends_after_period)
    for milestone in contract.milestones:
        if milestone.period_index > contract.ends_after_period and milestone.status == MilestoneStatus.PENDING:
            _cancel_period(milestone, actor, "contract ended")
    notifications.notify([contract.brand_id, contract.provider_id], "contract_ending",
                         to=destinations.contract(contract.id), tender=contract.title,
                         periods=contract.ends_after_period + 1)
    escrow.complete_if_settled(contract)


def _cancel_period(milestone: Milestone, actor: User, note: str) -> None:
    """A pending period that will not run: cancelled, and a card payment the brand had started for it
    cancelled at Stripe (refunded by its webhook should it land anyway), as a milestone the brand drops."""
    escrow.transition(milestone, MilestoneStatus.CANCELLED, actor, note=note)
    funding.backend().abandon(milestone)


def give_notice(actor: User, contract_id: int, *, immediate: bool = False) -> Contract:
    """End the contract. By default with one period's notice: the period running now and the next one
    still run. `immediate` ends it after the period running now, once both parties asked for it."""
    contract, side = _party_contract(actor, contract_id)
    running = _running_index(contract, utcnow())
    if not immediate:
        _end_after(contract, running + 1, actor)
        contract.end_now_asked_by = None
        return contract
    if contract.end_now_asked_by in (None, side):
        contract.end_now_asked_by = side
        other = contract.provider_id if side == "brand" else contract.brand_id
        notifications.notify([other], "end_now_asked", to=destinations.contract(contract.id),
                             tender=contract.title)
        return contract
    contract.end_now_asked_by = None
    _end_after(contract, running, actor)
    return contract


def change_periods(actor: User, contract_id: int, periods) -> Contract:
    """The brand proposes a new number of periods; it applies when the provider agrees to the same
    number. More periods are added at the end; fewer cancel the unfunded periods at the end (a funded
    or started period is never taken away)."""
    contract, side = _party_contract(actor, contract_id)
    started = _running_index(contract, utcnow())
    kept = [m for m in contract.milestones if m.status != MilestoneStatus.CANCELLED]
    busy = max((m.period_index for m in kept if m.status != MilestoneStatus.PENDING), default=-1)
    low = max(1, started + 1, busy + 1)
    check({"periods": not (isinstance(periods, int) and low <= periods <= MAX_PERIODS)
           and _l("Choose %(low)s to %(most)s periods: the periods already started or funded stay.", low=low,
                  most=MAX_PERIODS)})
    if contract.ends_after_period is not None:
        raise Conflict(_l("Notice to end was given: the number of periods no longer changes."), code="ending")
    if side == "brand":
        contract.periods_proposed = periods
        notifications.notify([contract.provider_id], "periods_proposed", to=destinations.contract(contract.id),
                             tender=contract.title, periods=periods)
        return contract
    if contract.periods_proposed != periods:
        raise Conflict(_l("The brand has not proposed this number of periods."), code="not_proposed")
    contract.periods_proposed = None
    _set_periods(contract, periods, actor)
    return contract


def _set_periods(contract: Contract, periods: int, actor: User) -> None:
    current = [m for m in contract.milestones if m.status != MilestoneStatus.CANCELLED]
    if periods < len(current):
        for milestone in current[periods:]:
            _cancel_period(milestone, actor, "fewer periods")
    last = max(contract.milestones, key=lambda m: m.period_index)
    template = current[0] if current else last
    length = last.due_at - last.starts_at
    for n in range(periods - len(current)):
        index = last.period_index + 1 + n
        starts = last.due_at + n * length
        contract.milestones.append(Milestone(
            position=index, period_index=index, title=str(_l("Period %(n)s", n=index + 1)),
            base_amount=template.base_amount, amount=template.amount, currency=template.currency,
            status=MilestoneStatus.PENDING.value, starts_at=starts, due_at=starts + length))
    contract.amount = sum(m.base_amount or 0 for m in contract.milestones if m.status != MilestoneStatus.CANCELLED)
    # its reviews weigh by the contract's amount in the rating, and carry it (Review.weighing_amount)
    db.session.execute(update(Review).where(Review.contract_id == contract.id)
                       .values(weighing_amount=contract.amount).execution_options(synchronize_session=False))
    notifications.notify([contract.brand_id, contract.provider_id], "periods_changed",
                         to=destinations.contract(contract.id), tender=contract.title, periods=periods)
