"""Dispute pages: open one from the contract, the dispute's own page (history, evidence, decision)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.disputes.forms import AdjustmentForm, CorrectionRejectForm, DisputeForm, EvidenceForm, ResolveForm
from blueprints.downloads import one_of, send_one_of, send_variant
from blueprints.web import ActionForm, filter_args, perform, role_required, submitted
from i18n import minor_units
from models.dispute import ALL_DISPUTE_REASONS
from services import disputes, escrow, kpis

bp = Blueprint("disputes", __name__, url_prefix="/disputes")


def _links(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _files(field) -> list:
    return [(f.stream, f.filename) for f in field.data or [] if f and f.filename]


def _field_units(field, dispute) -> int | None:
    """The field's amount in minor units; None, with the message under the field, if it has too many decimals."""
    amount = minor_units(field.data, dispute.milestone.currency)
    if amount is None:
        field.errors = [*field.errors, _("Use at most two decimal places.")]
    return amount


@bp.post("/open/<int:milestone_id>")
@role_required("brand", "provider")
def open_dispute(milestone_id: int):
    form = DisputeForm()
    if submitted(form):
        dispute = perform(lambda: disputes.open_dispute(current_user, milestone_id, form.reason.data,
                                                        form.statement.data or "", links=_links(form.links.data),
                                                        files=_files(form.files)),
                          success=_("Dispute opened. The money stays in escrow until platform staff decide."))
        if dispute:
            return redirect(url_for("disputes.detail", dispute_id=dispute.id))
    milestone = escrow.milestone_for(current_user, milestone_id)
    return redirect(url_for("contracts.detail", contract_id=milestone.contract_id) + f"#milestone-{milestone_id}")


@bp.get("/<int:dispute_id>")
@login_required
def detail(dispute_id: int):
    """Everything about the milestone in one place: plan, deliveries, changes, evidence, audit trail."""
    return _detail_page(dispute_id)


def _detail_page(dispute_id: int, *, resolve_form=None, adjustment_form=None, status: int = 200):
    """The dispute page; a refused staff form comes back filled in as it was sent, its errors by its fields."""
    dispute = disputes.dispute_for(current_user, dispute_id)
    milestone = dispute.milestone
    plan = milestone.contract.bid.milestones if milestone.contract.bid is not None else []
    _, kpi_results = kpis.results_of(current_user, milestone.contract_id)
    return render_template("disputes/detail.html", dispute=dispute, milestone=milestone, plan=plan,
                           kpi_results=kpi_results, actions=disputes.allowed_actions(dispute, current_user),
                           responses=disputes.response_state(dispute), evidence_form=EvidenceForm(),
                           settlement=disputes.settlement(dispute) if dispute.is_decided else None,
                           resolve_form=resolve_form or ResolveForm(),
                           adjustment_form=adjustment_form or AdjustmentForm(), action_form=ActionForm(),
                           corrections=disputes.corrections_seen_by(dispute, current_user),
                           correction_actions=disputes.correction_actions, reject_form=CorrectionRejectForm(),
                           approval_threshold=disputes.approval_threshold()), status


@bp.post("/<int:dispute_id>/evidence")
@role_required("brand", "provider")
def evidence(dispute_id: int):
    form = EvidenceForm()
    if submitted(form):
        perform(lambda: disputes.add_evidence(current_user, dispute_id, form.note.data or "",
                                              _links(form.links.data), _files(form.files)),
                success=_("Evidence added."))
    return redirect(url_for("disputes.detail", dispute_id=dispute_id))


@bp.post("/<int:dispute_id>/withdraw")
@role_required("brand", "provider")
def withdraw(dispute_id: int):
    if submitted(ActionForm()):
        perform(lambda: disputes.withdraw(current_user, dispute_id), success=_("Dispute withdrawn."))
    return redirect(url_for("disputes.detail", dispute_id=dispute_id))


@bp.post("/<int:dispute_id>/resolve")
@role_required("admin")
def resolve(dispute_id: int):
    form = ResolveForm()
    dispute = disputes.dispute_for(current_user, dispute_id)
    if form.validate_on_submit() and (amount := _field_units(form.provider_amount, dispute)) is not None \
            and perform(lambda: disputes.resolve(current_user, dispute_id, amount, form.reason.data or ""),
                        form=form, success=_("Decision posted. Both sides are told.")):
        return redirect(url_for("disputes.detail", dispute_id=dispute_id))
    return _detail_page(dispute_id, resolve_form=form, status=422)  # what staff typed stays


def _to_corrections(dispute_id: int):
    return redirect(url_for("disputes.detail", dispute_id=dispute_id, _anchor="corrections"))


@bp.post("/<int:dispute_id>/adjust")
@role_required("admin")
def adjust(dispute_id: int):
    """Post a correction, or, above the approval threshold, propose it for a second staff member."""
    form = AdjustmentForm()
    dispute = disputes.dispute_for(current_user, dispute_id)
    if form.validate_on_submit() and (amount := _field_units(form.amount, dispute)) is not None:
        fix = perform(lambda: disputes.adjust(current_user, dispute_id, amount, form.direction.data,
                                              form.reason.data or ""), form=form)
        if fix:
            flash(_("Correction proposed. Another staff member must approve it before any money moves.")
                  if fix.is_pending else _("Correction posted."), "success")
            return _to_corrections(dispute_id)
    return _detail_page(dispute_id, adjustment_form=form, status=422)  # what staff typed stays


@bp.post("/<int:dispute_id>/corrections/<int:correction_id>/approve")
@role_required("admin")
def approve_correction(dispute_id: int, correction_id: int):
    if submitted(ActionForm()):
        perform(lambda: disputes.approve_correction(current_user, dispute_id, correction_id),
                success=_("Correction approved and posted."))
    return _to_corrections(dispute_id)


@bp.post("/<int:dispute_id>/corrections/<int:correction_id>/reject")
@role_required("admin")
def reject_correction(dispute_id: int, correction_id: int):
    form = CorrectionRejectForm()
    if submitted(form):
        perform(lambda: disputes.reject_correction(current_user, dispute_id, correction_id,
                                                         form.rejection_reason.data or ""),
                success=_("Correction rejected. No money moved."))
    return _to_corrections(dispute_id)


@bp.get("/corrections")
@role_required("admin")
def corrections():
    """Staff: corrections waiting for a second staff member's approval, oldest first."""
    page = disputes.pending_corrections(page=max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("disputes/corrections.html", page=page, args={})


@bp.get("/<int:dispute_id>/files/<int:file_id>")
@login_required
def evidence_file(dispute_id: int, file_id: int):
    dispute = disputes.dispute_for(current_user, dispute_id)
    return send_one_of([f for e in dispute.evidence for f in e.files], file_id)


@bp.get("/<int:dispute_id>/files/<int:file_id>/<variant>")
@login_required
def evidence_file_variant(dispute_id: int, file_id: int, variant: str):
    dispute = disputes.dispute_for(current_user, dispute_id)
    return send_variant(one_of([f for e in dispute.evidence for f in e.files], file_id), variant)


@bp.get("/queue")
@role_required("admin")
def queue():
    """Staff: open disputes oldest first, with filters and what is overdue."""
    status = request.args.get("status", "open")
    reason = request.args.get("reason") or None
    overdue = request.args.get("overdue") == "1"
    page = disputes.queue(status=status if status in ("open", "resolved", "withdrawn") else "open",
                          reason=reason if reason in ALL_DISPUTE_REASONS else None, overdue=overdue,
                          page=max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("disputes/queue.html", page=page, status=status, reason=reason, overdue=overdue,
                           response_state=disputes.response_state,
                           pending_corrections=disputes.pending_corrections(per_page=1).total,
                           args=filter_args("status", "reason", "overdue"))
