"""The user's wallet: balances and every ledger entry that touched the user's accounts."""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from services import bank_statements, ledger, permissions

bp = Blueprint("wallet", __name__, url_prefix="/wallet")


@bp.get("")
@login_required
def index():
    page = ledger.entries_of(current_user, max(request.args.get("page", 1, type=int) or 1, 1), 50)
    top_up = (bank_statements.top_up_details(current_user)
              if current_user.is_brand and permissions.allowed(current_user, "wallet.read") else None)
    return render_template("wallet/index.html", balances=ledger.balances_of(current_user), page=page, args={},
                           top_up=top_up)
