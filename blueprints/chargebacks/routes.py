"""Chargeback cases (staff only; anyone else gets 404): the queue, a case with its evidence pack, evidence
sent to Stripe, and the decision that the provider bears a released milestone's chargeback."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.chargebacks.forms import EVIDENCE_LABELS, EvidenceForm, ProviderAtFaultForm
from blueprints.web import perform
from services import chargebacks

bp = Blueprint("chargebacks", __name__, url_prefix="/chargebacks")


@bp.get("")
@login_required
def queue():
    open_only = request.args.get("all") != "1"
    page = chargebacks.queue(current_user, open_only=open_only, page=max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("chargebacks/queue.html", page=page, open_only=open_only,
                           args={} if open_only else {"all": "1"})


def _page(chargeback_id: int, evidence_form=None, fault_form=None, status=200):
    case = chargebacks.chargeback_for(current_user, chargeback_id)
    pack = chargebacks.evidence_pack(case)
    return render_template(
        "chargebacks/detail.html", case=case, pack=pack, rule=chargebacks.rule_for(case.loss_bearer),
        rules=chargebacks.LOSS_RULES, evidence_labels=EVIDENCE_LABELS,
        evidence_form=evidence_form or EvidenceForm(data=pack.fields), fault_form=fault_form or ProviderAtFaultForm(),
        can_charge_provider=chargebacks.can_charge_provider(case),
        recovery_cap=chargebacks.recovery_cap(case), recovered=chargebacks.recovered(case)), status


@bp.get("/<int:chargeback_id>")
@login_required
def detail(chargeback_id: int):
    return _page(chargeback_id)


@bp.post("/<int:chargeback_id>/evidence")
@login_required
def evidence(chargeback_id: int):
    chargebacks.chargeback_for(current_user, chargeback_id)  # 404 before anything else for non-staff
    form = EvidenceForm()
    submit = bool(form.submit.data)
    if form.validate_on_submit() and perform(
            lambda: chargebacks.save_evidence(current_user, chargeback_id,
                                              {name: getattr(form, name).data for name in chargebacks.EVIDENCE_FIELDS},
                                              submit=submit),
            form=form, success=_("Evidence submitted to the bank.") if submit else _("Evidence saved at Stripe.")):
        return redirect(url_for("chargebacks.detail", chargeback_id=chargeback_id))
    return _page(chargeback_id, evidence_form=form, status=422)


@bp.post("/<int:chargeback_id>/provider-at-fault")
@login_required
def provider_at_fault(chargeback_id: int):
    chargebacks.chargeback_for(current_user, chargeback_id)
    form = ProviderAtFaultForm()
    if form.validate_on_submit() and perform(
            lambda: chargebacks.charge_provider(current_user, chargeback_id, form.reason.data or ""),
            form=form, success=_("The provider bears this chargeback; it has been told why.")):
        return redirect(url_for("chargebacks.detail", chargeback_id=chargeback_id))
    return _page(chargeback_id, fault_form=form, status=422)
