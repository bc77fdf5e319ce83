"""Chargeback cases for staff (services.chargebacks), as on the /chargebacks pages: the queue, a case
with its drafted evidence, evidence sent to Stripe, and the decision that a released milestone's
provider bears the chargeback. Anyone but staff is told there is nothing here (404)."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.routing import api_route, current_api_user
from services import chargebacks

TEXT = Field(None, max_length=chargebacks.EVIDENCE_FIELD_LIMIT)


class ChargebackOut(BaseModel):
    id: int
    stripe_dispute_id: str
    milestone_id: int | None
    contract_id: int | None
    amount: int = Field(description="charged back, minor units")
    fee: int = Field(description="Stripe's dispute fee, minor units")
    currency: str
    reason: str = Field(description="the bank's reason, as Stripe names it")
    status: str
    loss_bearer: str = Field(description="escrow, platform, provider or unknown (see the loss rules)")
    evidence_due_by: datetime | None
    evidence_submitted_at: datetime | None
    recovery_cap: int | None = Field(description="at most this is recovered from the provider's payouts")
    recovery_reason: str | None
    opened_at: datetime
    closed_at: datetime | None


class ChargebackDetailOut(ChargebackOut):
    evidence: dict[str, str] = Field(description="the evidence fields: as saved, else drafted from the contract")
    can_charge_provider: bool
    recovered: int = Field(description="recovered from the provider so far, minor units")


class ChargebackPage(BaseModel):
    items: list[ChargebackOut]
    page: int
    per_page: int
    total: int


class ChargebackQuery(BaseModel):
    all: bool = Field(False, description="closed cases too (default: open ones only)")
    page: int = Field(1, ge=1)
    per_page: int = Field(20, ge=1, le=100)


class ChargebackEvidenceIn(BaseModel):
    product_description: str | None = TEXT
    customer_name: str | None = TEXT
    customer_email_address: str | None = TEXT
    service_date: str | None = TEXT
    access_activity_log: str | None = TEXT
    uncategorized_text: str | None = TEXT
    submit: bool = Field(False, description="true: submit to the bank (final); false: save at Stripe")


class ProviderAtFaultIn(BaseModel):
    reason: str = Field(max_length=2000, description="what shows the provider at fault (10 to 2000 characters); "
                                                     "the provider reads it")


def _out(case) -> ChargebackOut:
    return ChargebackOut.model_validate(case, from_attributes=True)


def _detail(case) -> ChargebackDetailOut:
    return ChargebackDetailOut(**_out(case).model_dump(), evidence=chargebacks.evidence_pack(case).fields,
                               can_charge_provider=chargebacks.can_charge_provider(case),
                               recovered=chargebacks.recovered(case))


@api_route("/admin/chargebacks", summary="Chargeback cases, evidence due soonest first", tag="Admin",
           query=ChargebackQuery, response=ChargebackPage, errors=(404,))
def list_chargebacks(query: ChargebackQuery):
    page = chargebacks.queue(current_api_user(), open_only=not query.all, page=query.page, per_page=query.per_page)
    return ChargebackPage(items=[_out(c) for c in page.items], page=page.page, per_page=page.per_page,
                          total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/admin/chargebacks/<int:chargeback_id>", summary="One chargeback case with its evidence",
           tag="Admin", response=ChargebackDetailOut, errors=(404,))
def get_chargeback(chargeback_id: int):
    return _detail(chargebacks.chargeback_for(current_api_user(), chargeback_id))


@api_route("/admin/chargebacks/<int:chargeback_id>/evidence", "POST", summary="Send the evidence to Stripe",
           tag="Admin", body=ChargebackEvidenceIn, response=ChargebackDetailOut, errors=(404, 409, 422))
def send_chargeback_evidence(chargeback_id: int, body: ChargebackEvidenceIn):
    """`submit: true` submits it to the bank, which is final (409 `evidence_submitted` afterwards).
    Fields left out are sent empty; at least one must say something (422). Audited."""
    fields = body.model_dump(exclude={"submit"})
    return _detail(chargebacks.save_evidence(current_api_user(), chargeback_id, fields, submit=body.submit))


@api_route("/admin/chargebacks/<int:chargeback_id>/provider-at-fault", "POST",
           summary="Recover a released milestone's chargeback from its provider", tag="Admin",
           body=ProviderAtFaultIn, response=ChargebackDetailOut, errors=(404, 409, 422))
def charge_provider(chargeback_id: int, body: ProviderAtFaultIn):
    """A capped recovery from the provider's later payouts (at most what it received for the milestone,
    at most half of each payout), decided once (409 `already_decided`), audited and told to the provider.
    Honours Idempotency-Key."""
    return _detail(chargebacks.charge_provider(current_api_user(), chargeback_id, body.reason))
