"""The money of a period (or any milestone with KPI terms): what its escrow holds and how it splits.

A period is funded with its base (the retainer fee, or the metered cap) plus the most its KPI bonuses
can add (`Milestone.amount`); on release the provider gets

  base_due + bonus(met KPIs) − penalty(missed KPIs), never below 0 nor above what is held,
  base_due = the base (retainer, fixed) or min(quantity × unit_price, cap) (metered),

and the brand the rest, in the same posting (services.escrow.release). A KPI with no result
recorded for the period pays no bonus and withholds no penalty. Integers only, rounded half-up.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from extensions import db
from models import KpiResult, Milestone, UsageRecord
from models.engagement import Engagement


def share(base: int, bps: int) -> int:
    """`bps` basis points of `base`, rounded half-up to the minor unit (integers only)."""
    return (base * bps + 5000) // 10000


def max_bonus(base: int, kpis) -> int:
    """What a period's escrow must hold on top of its base: every bonus paid."""
    return sum(share(base, kpi.bonus_bps) for kpi in kpis)


def quantity_of(milestone: Milestone) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(UsageRecord.quantity), 0))
                                 .where(UsageRecord.milestone_id == milestone.id)))


def charge_of(milestone: Milestone, quantity: int | None = None) -> int:
    """A metered period's charge: quantity × unit price, never more than its cap."""
    quantity = quantity_of(milestone) if quantity is None else quantity
    return min(quantity * (milestone.contract.unit_price or 0), milestone.base_amount or 0)


# --- what a release pays ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settlement:
    held: int  # what the period's escrow holds
    base_due: int  # the fee, or the metered charge
    bonus: int
    penalty: int
    quantity: int | None  # metered only

    @property
    def to_provider(self) -> int:
        return max(0, min(self.held, self.base_due + self.bonus - self.penalty))

    @property
    def to_brand(self) -> int:
        return self.held - self.to_provider


def settlement(milestone: Milestone) -> Settlement:
    """How the milestone's escrow splits on release, from its terms, usage and recorded KPI results."""
    contract = milestone.contract
    base = milestone.base_amount if milestone.base_amount is not None else milestone.amount
    quantity = None
    if contract is None or milestone.id is None:  # not stored yet: nothing used or measured
        return Settlement(held=milestone.amount, base_due=base, bonus=0, penalty=0, quantity=None)
    if contract.engagement == Engagement.METERED and milestone.period_index is not None:
        quantity = quantity_of(milestone)
        base_due = charge_of(milestone, quantity)
    else:
        base_due = base
    bonus = penalty = 0
    results = db.session.scalars(select(KpiResult).where(KpiResult.milestone_id == milestone.id)).all()
    for result in results:  # no result for a KPI: neither bonus nor penalty
        kpi = result.kpi
        if result.met:
            bonus += share(base_due, kpi.bonus_bps)
        else:
            penalty += share(base_due, kpi.penalty_bps)
    return Settlement(held=milestone.amount, base_due=base_due, bonus=bonus, penalty=penalty, quantity=quantity)
