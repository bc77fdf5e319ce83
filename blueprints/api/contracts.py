"""Contracts created by awards."""
from blueprints.api.presenters import kpi_out, kpi_result_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.contracts import ContractOut, KpiResultIn, KpiResultOut, KpiResults
from services import contracts, kpis


@api_route("/contracts/<int:contract_id>", summary="A contract with its milestones", tag="Contracts",
           response=ContractOut, errors=(404,))
def get_contract(contract_id: int):
    """Its brand, its provider and staff; anyone else 404."""
    return ContractOut.model_validate(contracts.contract_for(current_api_user(), contract_id))


@api_route("/contracts/<int:contract_id>/kpi-results", summary="The contract's KPI targets and recorded results",
           tag="Contracts", response=KpiResults, errors=(404,))
def kpi_results(contract_id: int):
    contract, results = kpis.results_of(current_api_user(), contract_id)
    return KpiResults(kpis=[kpi_out(k) for k in contract.tender.kpis],
                      items=[kpi_result_out(r) for r in results])


@api_route("/milestones/<int:milestone_id>/kpi-results", "POST", summary="Record a KPI result for a milestone",
           tag="Contracts", body=KpiResultIn, response=KpiResultOut, status=201, roles=("brand",),
           errors=(403, 404, 409, 422), idempotent=True)
def record_kpi_result(milestone_id: int, body: KpiResultIn):
    """The brand, once per KPI and milestone; `met` is decided against the target and its direction."""
    return kpi_result_out(kpis.record_result(current_api_user(), milestone_id, body.kpi_id, body.value))
