"""Contract pages."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from services import evaluation

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.get("")
@login_required
def index():
    return render_template("contracts/index.html", contracts=evaluation.contracts_of(current_user))


@bp.get("/<int:contract_id>")
@login_required
def detail(contract_id: int):
    return render_template("contracts/detail.html", contract=evaluation.contract_for(current_user, contract_id))
