"""Ongoing engagements: retainer and metered contracts paid period by period, and KPI terms.

One period is one milestone (Milestone.period_index), so funding, delivery, acceptance, auto-release,
disputes, statements and payouts run through services/escrow.py as for any milestone; how much a
period holds and pays is services/period_money.py. This module holds the terms (tender, bid), the
periods made at the award, and usage records."""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from models import Milestone, Tender, UsageRecord, User
from models.contract import MilestoneStatus
from models.engagement import MAX_BPS, PERIODIC, Engagement
from services import destinations, notifications, permissions, webhooks
from services.contracts import contract_for
from services.errors import Conflict, Forbidden, check
from services.escrow import milestone_for
from services.period_money import charge_of, max_bonus, quantity_of

MAX_QUANTITY = 10**9  # units in one usage record: anything above is a typo
USAGE_OPEN = (MilestoneStatus.FUNDED, MilestoneStatus.DELIVERED, MilestoneStatus.CHANGES_REQUESTED)


# --- terms, as posted with a tender and a bid ---------------------------------------------------------

def tender_errors(engagement: str, period_days, periods, unit, kpis) -> dict:
    """Field errors of a tender's engagement terms (an empty dict when they are fine)."""
    periodic = engagement in PERIODIC
    unit = (unit or "").strip()
    return {
        "engagement": engagement not in tuple(Engagement) and _l("Choose fixed, retainer or metered."),
        "period_days": periodic and not (isinstance(period_days, int) and 7 <= period_days <= 92)
        and _l("A period lasts 7 to 92 days."),
        "periods": periodic and not (isinstance(periods, int) and 1 <= periods <= 36)
        and _l("Choose 1 to 36 periods."),
        "unit": engagement == Engagement.METERED and not 1 <= len(unit) <= 40
        and _l("Name the unit you pay for (e.g. conversation, order, photo, hour)."),
        "kpis": any(not (isinstance(k.bonus_bps, int) and 0 <= k.bonus_bps <= MAX_BPS
                         and isinstance(k.penalty_bps, int) and 0 <= k.penalty_bps <= MAX_BPS) for k in kpis)
        and _l("A KPI's bonus and penalty are each 0 to 3000 basis points (30 %)."),
    }


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
    milestone = milestone_for(actor, milestone_id, lock=True)
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
        raise Conflict(_l("Usage is recorded on a period that is funded and not settled or disputed."),
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
