"""Staff pages: the provider verification queue and decisions."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.forms import DepositForm, RejectForm, VerifyForm
from blueprints.web import perform, role_required
from i18n import minor_units
from models import User
from models.profile import VERIFICATION_STATUSES
from services import funding, ledger, profiles

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def staff_only():
    """Every page here is for platform staff only."""


@bp.get("/providers")
def providers():
    """Providers by verification status; pending ones oldest first."""
    status = request.args.get("status", "pending")
    if status not in VERIFICATION_STATUSES:
        status = "pending"
    page = profiles.verification_queue(status, max(request.args.get("page", 1, type=int) or 1, 1), 20)
    return render_template("admin/providers.html", page=page, status=status, statuses=VERIFICATION_STATUSES,
                           args={"status": status})


def _provider_page(provider_id: int, verify_form=None, reject_form=None, status=200):
    profile = profiles.get_provider(provider_id)
    verify_form = verify_form or VerifyForm(checked_number=profile.registration_number)
    return render_template("admin/provider.html", profile=profile, verify_form=verify_form,
                           reject_form=reject_form or RejectForm()), status


@bp.get("/providers/<int:provider_id>")
def provider(provider_id: int):
    return _provider_page(provider_id)


@bp.post("/providers/<int:provider_id>/verify")
def verify(provider_id: int):
    form = VerifyForm()
    if form.validate_on_submit() and perform(
            lambda: profiles.verify_provider(current_user, provider_id, checked_number=form.checked_number.data,
                                             note=form.note.data or ""),
            form=form, success=_("Provider verified.")):
        return redirect(url_for("admin.providers"))
    return _provider_page(provider_id, verify_form=form, status=422)


@bp.post("/providers/<int:provider_id>/reject")
def reject(provider_id: int):
    form = RejectForm()
    if form.validate_on_submit() and perform(
            lambda: profiles.reject_provider(current_user, provider_id, reason=form.reason.data),
            form=form, success=_("Provider rejected; the reason is shown to them.")):
        return redirect(url_for("admin.providers"))
    return _provider_page(provider_id, reject_form=form, status=422)


@bp.route("/deposits", methods=["GET", "POST"])
def deposits():
    """Finance records brands' bank transfers; the page also shows the ledger's totals."""
    form = DepositForm()
    if form.validate_on_submit():
        brand = User.by_email(form.email.data)
        amount = minor_units(form.amount.data, form.currency.data)
        if amount is None:
            form.amount.errors.append(_("Use at most two decimal places."))
        elif perform(lambda: funding.record_deposit(current_user, brand, amount, form.currency.data,
                                                    form.reference.data),
                     form=form, success=_("Deposit recorded; the brand's wallet is credited.")):
            return redirect(url_for("admin.deposits"))
    balances, totals = ledger.summary()
    return render_template("admin/deposits.html", form=form, balances=balances, totals=totals,
                           recent=ledger.recent_deposits(20)), 422 if form.is_submitted() else 200
