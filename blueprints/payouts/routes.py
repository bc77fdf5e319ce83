"""Payouts: a provider's balance, payout settings and payouts; staff settlement batches and the bank file."""
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.payouts.forms import BankDetailsForm, MarginMoveForm, MarkFailedForm, MarkPaidForm, StripeOnboardForm
from blueprints.web import ActionForm, perform, role_required
from i18n import duration, minor_units
from models.chargeback import LossBearer
from models.payout import PayoutStatus
from services import chargebacks, margins, payout_accounts, payouts, tasks, transfer_references

bp = Blueprint("payouts", __name__, url_prefix="/payouts")


def _page_arg() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


# --- providers ---------------------------------------------------------------------------------------

def _provider_page(bank_form=None, status=200, onboard_form=None, margin_form=None, margin_out_form=None):
    account = payout_accounts.of(current_user)
    if bank_form is None:
        bank_form = BankDetailsForm(data={"account_name": account.bank_account_name, "bank_name": account.bank_name,
                                          "account_number": account.bank_account_number} if account else None)
    return render_template("payouts/index.html", outlook=payouts.outlook(current_user), account=account,
                           can_be_paid=payout_accounts.can_be_paid(current_user), method=payouts.method(),
                           page=payouts.payouts_for(current_user, page=_page_arg(), per_page=20),
                           bank_form=bank_form, action_form=ActionForm(), args={},
                           onboard_form=onboard_form or StripeOnboardForm(),
                           recoveries=chargebacks.recoveries_for(current_user),
                           recovery_rule=chargebacks.rule_for(LossBearer.PROVIDER),
                           margin=margins.status_of(current_user), margin_form=margin_form or MarginMoveForm(),
                           margin_out_form=margin_out_form or MarginMoveForm(prefix="out"),
                           reference=transfer_references.reference_for(current_user.account_id),
                           margin_cool_off=duration(margins.COOL_OFF)), status


@bp.get("")
@role_required("provider")
def index():
    return _provider_page()


def _margin_move(form: MarginMoveForm, move, success: str, **page_form):
    if form.validate_on_submit():
        amount = minor_units(form.amount.data, margins.MARGIN_CURRENCY)
        if amount is None:
            form.amount.errors.append(_("Enter the amount with at most two decimal places."))
        elif perform(lambda: move(current_user, amount, margins.MARGIN_CURRENCY), form=form, success=success):
            return redirect(url_for("payouts.index", _anchor="margin"))
    return _provider_page(status=422, **page_form)


@bp.post("/margin")
@role_required("provider")
def pay_margin():
    """Pay margin from payable earnings."""
    form = MarginMoveForm()
    return _margin_move(form, margins.pay_from_earnings, _("Margin deposit paid from your earnings."),
                        margin_form=form)


@bp.post("/margin/withdraw")
@role_required("provider")
def withdraw_margin():
    form = MarginMoveForm(prefix="out")
    return _margin_move(form, margins.withdraw, _("Margin deposit moved back to your earnings."),
                        margin_out_form=form)


@bp.post("/bank-details")
@role_required("provider")
def bank_details():
    form = BankDetailsForm()
    if form.validate_on_submit() and perform(
            lambda: payout_accounts.save_bank_details(current_user, account_name=form.account_name.data,
                                                      bank_name=form.bank_name.data,
                                                      account_number=form.account_number.data,
                                                      otp=form.otp.data),
            form=form, success=_("Bank details saved. Future payouts go to this account.")):
        return redirect(url_for("payouts.index"))
    return _provider_page(bank_form=form, status=422)


@bp.post("/stripe/onboard")
@role_required("provider")
def stripe_onboard():
    """Create (once) the provider's Express account and send it to a fresh Stripe onboarding link; the
    details entered there are the payout details, so this takes a current two-factor code."""
    form = StripeOnboardForm()
    if payouts.method() != "stripe" or not form.validate_on_submit():
        abort(400)
    url = perform(lambda: payout_accounts.start_stripe_onboarding(
        current_user, return_url=url_for("payouts.stripe_return", _external=True),
        refresh_url=url_for("payouts.stripe_refresh", _external=True), otp=form.otp.data), form=form)
    if isinstance(url, str):
        return redirect(url)
    return _provider_page(onboard_form=form, status=422)


@bp.get("/stripe/refresh")
@role_required("provider")
def stripe_refresh():
    """Stripe sends the provider here when an onboarding link expired: a new link takes a new code."""
    if payouts.method() != "stripe":
        abort(404)
    flash(_("The Stripe link expired. Continue the setup with a current two-factor code."), "info")
    return redirect(url_for("payouts.index"))


@bp.get("/stripe/return")
@role_required("provider")
def stripe_return():
    account = perform(lambda: payout_accounts.refresh_stripe_status(current_user))
    if account and account is not True:
        if account.stripe_payouts_enabled:
            flash(_("Your Stripe account is ready: payouts will be sent to it."), "success")
        else:
            flash(_("Stripe still needs some details before it can receive payouts."), "error")
    return redirect(url_for("payouts.index"))


# --- staff -------------------------------------------------------------------------------------------

@bp.get("/batches")
@role_required("admin")
def batches():
    page = payouts.batches(_page_arg())
    return render_template("payouts/batches.html", page=page, open_batch=payouts.open_batch(),
                           method=payouts.method(), summaries=payouts.summaries(page.items), form=ActionForm(),
                           args={})


@bp.post("/batches/run")
@role_required("admin")
def run_batch():
    if not ActionForm().validate_on_submit():
        abort(400)
    started = perform(lambda: payouts.request_batch(current_user))  # its job is queued once this commits
    if not started:
        return redirect(url_for("payouts.batches"))
    batch, _job = started
    flash(_("Settlement batch #%(id)s is running.", id=batch.id), "success")
    return redirect(url_for("payouts.batch", batch_id=batch.id))


@bp.get("/batches/<int:batch_id>")
@role_required("admin")
def batch(batch_id: int, paid_form=None, failed_form=None, status=200):
    batch = payouts.get_batch(current_user, batch_id)
    state = request.args.get("status")
    return render_template("payouts/batch.html", batch=batch, summary=payouts.summary(batch),
                           page=payouts.payouts_for(current_user, batch_id=batch_id,
                                                    status=state if state in tuple(PayoutStatus) else None,
                                                    page=_page_arg()),
                           statuses=tuple(PayoutStatus), state=state, paid_form=paid_form or MarkPaidForm(),
                           failed_form=failed_form or MarkFailedForm(), args={"status": state} if state else {}), status


@bp.get("/batches/<int:batch_id>/progress")
@role_required("admin")
def progress(batch_id: int):
    """The batch's job progress for the progress bar (polled by the batch page)."""
    batch = payouts.get_batch(current_user, batch_id)
    job = tasks.status(batch.job_id) if batch.job_id else None
    return jsonify(batch_status=batch.status, closed=batch.is_closed, job_status=job and job.status,
                   progress=job and job.progress)


@bp.get("/batches/<int:batch_id>/bank-file.csv")
@role_required("admin")
def bank_file(batch_id: int):
    payouts.get_batch(current_user, batch_id)
    return Response("\ufeff" + payouts.bank_file(batch_id), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="witkey-payouts-batch-{batch_id}.csv"'})


@bp.post("/batches/<int:batch_id>/payouts/<int:payout_id>/paid")
@role_required("admin")
def mark_paid(batch_id: int, payout_id: int):
    form = MarkPaidForm()
    if form.validate_on_submit() and perform(lambda: payouts.mark_paid(current_user, payout_id, form.reference.data),
                                             form=form, success=_("Payout marked paid.")):
        return redirect(url_for("payouts.batch", batch_id=batch_id))
    return batch(batch_id, paid_form=form, status=422)


@bp.post("/batches/<int:batch_id>/payouts/<int:payout_id>/failed")
@role_required("admin")
def mark_failed(batch_id: int, payout_id: int):
    form = MarkFailedForm()
    if form.validate_on_submit() and perform(lambda: payouts.mark_failed(current_user, payout_id, form.reason.data),
                                             form=form, success=_("Payout marked failed; the money is back in "
                                                                  "the provider's balance.")):
        return redirect(url_for("payouts.batch", batch_id=batch_id))
    return batch(batch_id, failed_form=form, status=422)
