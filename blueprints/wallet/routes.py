"""The user's wallet: balances and every ledger entry that touched the user's accounts."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from services import ledger

bp = Blueprint("wallet", __name__, url_prefix="/wallet")


@bp.get("")
@login_required
def index():
    page = ledger.entries_of(current_user, max(request.args.get("page", 1, type=int) or 1, 1), 50)
    return render_template("wallet/index.html", balances=ledger.balances_of(current_user), page=page, args={})
