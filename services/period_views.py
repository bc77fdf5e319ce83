"""What the contract page shows of a retainer or metered contract: the periods as a timeline with
their state and next moment, the money of each period, and a chart per KPI across the periods.

Money of a settled period is read from its release posting (what was actually paid); a period not yet
settled shows what releasing it now would pay (services/period_money.settlement)."""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import KpiResult, LedgerPosting
from models.contract import MilestoneStatus
from models.types import utcnow
from services import escrow, ledger, line_chart, period_money

_M = MilestoneStatus


@dataclass
class PeriodRow:
    milestone: object
    state: str  # a key of i18n.labels.PERIOD_STATE_LABELS
    next_kind: str | None  # "starts", "ends", "releases": what happens at `next_at`
    next_at: datetime | None
    base: int
    quantity: int | None
    base_due: int
    bonus: int
    penalty: int
    to_provider: int
    commission: int
    returned: int
    settled: bool


def _state(m, now) -> tuple[str, str | None, datetime | None]:
    if m.status == _M.PENDING:
        return ("unfunded" if m.starts_at <= now else "awaiting_funding"), "starts", m.starts_at
    if m.status == _M.FUNDED:
        if m.starts_at > now:
            return "funded", "starts", m.starts_at
        return "running", "ends", m.due_at
    if m.status in (_M.DELIVERED, _M.CHANGES_REQUESTED):
        return "in_review", "releases", escrow.release_due_at(m)
    return str(m.status), None, None


def period_rows(contract) -> list[PeriodRow]:
    now = utcnow()
    bps = current_app.config["COMMISSION_BPS"]
    postings = {p.milestone_id: p for p in db.session.scalars(
        select(LedgerPosting).where(LedgerPosting.kind == "release",
                                    LedgerPosting.milestone_id.in_([m.id for m in contract.milestones])))}
    rows = []
    for m in contract.milestones:
        state, next_kind, next_at = _state(m, now)
        posting = postings.get(m.id)
        if posting is not None and "base" in posting.meta:  # as paid
            meta = posting.meta
            to_provider = m.released_amount
            row = {"base_due": meta["base"], "bonus": meta["bonus"], "penalty": meta["penalty"],
                   "quantity": meta["quantity"], "to_provider": to_provider, "commission": meta["commission"],
                   "returned": meta["returned"]}
        else:
            split = period_money.settlement(m)
            settled = m.status in (_M.RESOLVED, _M.CANCELLED)
            to_provider = m.released_amount if settled else split.to_provider
            row = {"base_due": split.base_due, "bonus": split.bonus, "penalty": split.penalty,
                   "quantity": split.quantity, "to_provider": to_provider,
                   "commission": ledger.commission_of(to_provider, bps),
                   "returned": (m.funded_amount - to_provider) if settled else split.to_brand}
        rows.append(PeriodRow(milestone=m, state=state, next_kind=next_kind, next_at=next_at,
                              base=m.base_amount if m.base_amount is not None else m.amount,
                              settled=m.status in (_M.RELEASED, _M.RESOLVED, _M.CANCELLED), **row))
    return rows


@dataclass
class Chart:
    """One KPI across the periods, drawn as a polyline against its target line (services.line_chart)."""

    kpi: object
    points: list = field(default_factory=list)  # (x, y, label, value, met)
    target_y: float = 0.0
    polyline: str = ""
    width: int = 640
    height: int = 180


def kpi_charts(contract) -> list[Chart]:
    results = db.session.scalars(select(KpiResult).where(KpiResult.contract_id == contract.id)).all()
    by_kpi: dict[int, dict[int, KpiResult]] = {}
    for r in results:
        by_kpi.setdefault(r.kpi_id, {})[r.milestone_id] = r
    charts = []
    periods = contract.milestones
    for kpi in contract.kpis:
        found = by_kpi.get(kpi.id, {})
        values = [float(r.value) for r in found.values()] + [float(kpi.target)]
        drawn = line_chart.plot([(i, found[m.id].value, m.title, found[m.id].met) for i, m in enumerate(periods)
                                 if m.id in found],
                                x_range=(0, max(len(periods) - 1, 1)),
                                y_range=(min(values + [0.0]), max(values) * 1.15 or 1.0))
        charts.append(Chart(kpi=kpi, points=drawn.points, target_y=drawn.y_of(kpi.target), polyline=drawn.polyline,
                            width=drawn.width, height=drawn.height))
    return charts
