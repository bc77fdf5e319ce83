"""Contracts created by awards."""
from blueprints.api import schemas
from blueprints.api.routing import api_route, current_api_user
from services import evaluation


@api_route("/contracts/<int:contract_id>", summary="A contract with its milestones", tag="Contracts",
           response=schemas.ContractOut, errors=(404,))
def get_contract(contract_id: int):
    """Its brand, its provider and staff; anyone else 404."""
    return schemas.ContractOut.model_validate(evaluation.contract_for(current_api_user(), contract_id))
