"""KPI results: the brand records, per milestone, what its store measured against each KPI target the
tender set (first-response time, conversion…). A result is kept as recorded — one per KPI and
milestone — with whether it met the target; the provider is told, and its rating counts targets met."""
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Contract, KpiResult, Milestone, User
from models.contract import MEASURABLE
from services import destinations, notifications, permissions, webhooks
from services.contracts import contract_for
from services.errors import Conflict, Forbidden, check
from services.escrow import milestone_for
from services.rating_jobs import request_recompute

MAX_MEASUREMENT = Decimal("9999999999.9999")  # KpiResult.value: numeric(14, 4)
# Results are measurements of work done or under way (models.contract.MEASURABLE): a milestone not yet
# funded, or cancelled, has none.


def results_of(viewer: User, contract_id: int) -> tuple[Contract, list[KpiResult]]:
    """The contract (its parties and staff only) and its KPI results, by milestone then KPI."""
    contract = contract_for(viewer, contract_id)
    results = db.session.scalars(select(KpiResult).join(Milestone).where(KpiResult.contract_id == contract.id)
                                 .order_by(Milestone.position, KpiResult.kpi_id)).all()
    return contract, list(results)


def measurement(raw) -> Decimal | None:
    """A measured value as stored (4 decimals), or None if it is not a number of 0 or more in range."""
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= MAX_MEASUREMENT + 1:  # bounded before rounding it
        return None
    value = value.quantize(Decimal("0.0001"))  # as stored: rounding may carry it past the limit
    return value if value <= MAX_MEASUREMENT else None


def record_result(actor: User, milestone_id: int, kpi_id: int, value, note: str = "") -> KpiResult:
    milestone = milestone_for(actor, milestone_id, lock=True)
    contract = milestone.contract
    if actor.account_id != contract.brand_id:
        raise Forbidden(_l("Only the contract's brand records KPI results."))
    permissions.require(actor, "contract.manage", milestone)
    kpi = next((k for k in contract.kpis if k.id == kpi_id), None)
    measured = measurement(value)
    note = (note or "").strip()
    check({"kpi_id": kpi is None and _l("Choose one of this contract's KPIs."),
           "value": measured is None and _l("Enter the measured value: a number of 0 or more."),
           "note": len(note) > 2000 and _l("At most 2000 characters.")})
    if milestone.status not in MEASURABLE:
        raise Conflict(_l("Results are recorded for milestones that are funded or done."), code="not_measurable")
    # the milestone's row lock (milestone_for) makes a second recorder wait here, then see the first
    if db.session.scalar(select(KpiResult.id).where(KpiResult.milestone_id == milestone.id,
                                                    KpiResult.kpi_id == kpi.id)) is not None:
        raise Conflict(_l("This KPI already has a result for this milestone."), code="already_recorded")
    result = KpiResult(contract_id=contract.id, milestone_id=milestone.id, kpi_id=kpi.id, value=measured,
                       met=kpi.met_by(measured), recorded_by_id=actor.id, note=note)
    db.session.add(result)
    db.session.flush()
    notifications.notify([contract.provider_id], "kpi_recorded", to=destinations.contract(contract.id, "kpis"),
                         kpi=kpi.name, milestone=milestone.title)
    webhooks.emit("kpi_result.recorded", f"contract:{contract.id}",
                  {"kpi_result": {"id": result.id, "contract_id": contract.id, "milestone_id": milestone.id,
                                  "kpi_id": kpi.id, "value": str(result.value), "met": result.met}},
                  webhooks.contract_audience(contract))
    request_recompute(contract.provider_id)
    return result
