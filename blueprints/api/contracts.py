"""Contracts created by awards."""
from flask import request

from blueprints.api.presenters import kpi_out, kpi_result_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.contracts import (
    AutoFundIn,
    ContractOut,
    KpiContestIn,
    KpiResultIn,
    KpiResultOut,
    KpiResults,
    NoticeIn,
    PeriodsIn,
    UsageIn,
    UsageOut,
)
from blueprints.api.schemas.disputes import DisputeCreated
from blueprints.downloads import send_attachment
from services import contract_documents, contracts, engagements, kpi_import, kpis
from services.errors import Invalid


@api_route("/contracts/<int:contract_id>", summary="A contract with its milestones", tag="Contracts",
           response=ContractOut, errors=(404,))
def get_contract(contract_id: int):
    """Its brand, its provider and staff; anyone else 404."""
    return ContractOut.model_validate(contracts.contract_for(current_api_user(), contract_id))


@api_route("/contracts/<int:contract_id>/document", summary="The contract document (PDF)", tag="Contracts",
           errors=(404,), download=True)
def contract_document(contract_id: int):
    """Its brand, its provider and staff; 404 for anyone else, and until it has been made (shortly
    after the award). Its SHA-256 is in the X-Content-SHA256 header."""
    document = contract_documents.document_for(current_api_user(), contract_id)
    response = send_attachment(document)
    response.headers["X-Content-SHA256"] = document.sha256
    return response


@api_route("/contracts/<int:contract_id>/kpi-results", summary="The contract's KPI targets and recorded results",
           tag="Contracts", response=KpiResults, errors=(404,))
def kpi_results(contract_id: int):
    contract, results = kpis.results_of(current_api_user(), contract_id)
    return KpiResults(kpis=[kpi_out(k) for k in contract.kpis],
                      items=[kpi_result_out(r) for r in results])


@api_route("/milestones/<int:milestone_id>/kpi-results", "POST", summary="Record a KPI result for a milestone",
           tag="Contracts", body=KpiResultIn, response=KpiResultOut, status=201, roles=("brand",),
           errors=(403, 404, 409, 422), idempotent=True)
def record_kpi_result(milestone_id: int, body: KpiResultIn):
    """The brand, once per KPI and milestone; `met` is decided against the target and its direction."""
    return kpi_result_out(kpis.record_result(current_api_user(), milestone_id, body.kpi_id, body.value, body.note))


@api_route("/milestones/<int:milestone_id>/kpi-results/import", "POST",
           summary="Record a period's KPI results from a CSV export (multipart `file`: date,metric,value)",
           tag="Contracts", response=KpiResults, status=201, roles=("brand",), errors=(403, 404, 409, 422),
           upload=True)
def import_kpi_results(milestone_id: int):
    """Each metric's mean over its rows becomes the period's result; any bad row (named `row N: field`)
    records nothing."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(fields={"file": "a multipart part named `file` is required"})
    results = kpi_import.import_csv(current_api_user(), milestone_id, upload.read(kpi_import.MAX_BYTES + 1))
    milestone = results[0].milestone
    return KpiResults(kpis=[kpi_out(k) for k in milestone.contract.kpis],
                      items=[kpi_result_out(r) for r in results])


@api_route("/milestones/<int:milestone_id>/kpi-results/contest", "POST",
           summary="Contest a period's KPI figures: opens a dispute on the period", tag="Contracts",
           body=KpiContestIn, response=DisputeCreated, status=201, roles=("provider",),
           errors=(403, 404, 409, 422))
def contest_kpi_results(milestone_id: int, body: KpiContestIn):
    dispute = kpi_import.contest(current_api_user(), milestone_id, body.statement)
    return DisputeCreated(id=dispute.id, status="open")


@api_route("/milestones/<int:milestone_id>/usage", "POST", summary="Record units used in a metered period",
           tag="Contracts", body=UsageIn, response=UsageOut, status=201, errors=(403, 404, 409, 422),
           idempotent=True)
def record_usage(milestone_id: int, body: UsageIn):
    """The provider (or the brand's own system), on a funded period; `charge` never exceeds the cap."""
    result = engagements.record_usage(current_api_user(), milestone_id, body.quantity, body.note)
    return UsageOut(quantity_total=result.quantity_total, charge=result.charge)


@api_route("/contracts/<int:contract_id>/auto-fund", "PUT", summary="Fund each coming period from the wallet",
           tag="Contracts", body=AutoFundIn, response=ContractOut, roles=("brand",), errors=(403, 404, 409))
def set_auto_fund(contract_id: int, body: AutoFundIn):
    """Retainer and metered contracts: the periodic job funds a period from the wallet before it starts."""
    return ContractOut.model_validate(engagements.set_auto_fund(current_api_user(), contract_id, body.auto_fund))


@api_route("/contracts/<int:contract_id>/notice", "POST", summary="Give notice to end a retainer or metered contract",
           tag="Contracts", body=NoticeIn, response=ContractOut, errors=(403, 404, 409))
def give_notice(contract_id: int, body: NoticeIn):
    """Either party. One period's notice by default (the running period and the next one still run);
    `immediate` ends it after the running period once both parties asked. Funded periods settle as usual."""
    return ContractOut.model_validate(engagements.give_notice(current_api_user(), contract_id,
                                                              immediate=body.immediate))


@api_route("/contracts/<int:contract_id>/periods", "POST", summary="Change the number of periods",
           tag="Contracts", body=PeriodsIn, response=ContractOut, errors=(403, 404, 409, 422))
def change_periods(contract_id: int, body: PeriodsIn):
    """The brand proposes; the provider consents by posting the same number, which applies it."""
    return ContractOut.model_validate(engagements.change_periods(current_api_user(), contract_id, body.periods))
