"""Contract pages: milestones with their money state, deliveries, history and the next step."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from blueprints.contracts.forms import (
    AutoFundForm,
    ChangesForm,
    ContestForm,
    DeliverForm,
    InvoiceForm,
    KpiImportForm,
    KpiResultForm,
    NoticeForm,
    PeriodsForm,
    UsageForm,
)
from blueprints.disputes.forms import DisputeForm
from blueprints.downloads import one_of, send_attachment, send_variant
from blueprints.reviews.forms import ReasonForm, ReplyForm, ReviewForm
from blueprints.web import ActionForm, perform, role_required, submitted
from services import (
    contract_documents,
    contracts,
    engagements,
    escrow,
    funding,
    invoices,
    kpi_import,
    kpis,
    ledger,
    organisations,
    period_views,
    permissions,
    previews,
    stripe_funding,
)
from services import reviews as review_service

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.get("")
@login_required
def index():
    """The user's contracts, newest first, 20 a page; ?status= narrows them."""
    status = request.args.get("status") or None
    page = contracts.contracts_of(current_user, status=status,
                                   page=max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("contracts/index.html", page=page, status=status,
                           args={"status": status} if status else {})


@bp.get("/<int:contract_id>")
@login_required
def detail(contract_id: int):
    contract = contracts.contract_for(current_user, contract_id)
    wallet = ledger.balance(ledger.wallet(current_user, contract.currency)) \
        if current_user.account_id == contract.brand_id and permissions.allowed(current_user, "wallet.read") else None
    visible = review_service.for_contract(current_user, contract.id)
    problem = review_service.review_problem(current_user, contract) if not current_user.is_admin else True
    _, kpi_results = kpis.results_of(current_user, contract.id)
    return render_template("contracts/detail.html", contract=contract, wallet=wallet, reviews=visible,
                           document=contract_documents.of(contract),
                           invoices=invoices.for_contract(current_user, contract.id), invoiceable=invoices.invoiceable,
                           invoice_form=InvoiceForm.with_rates(invoices.tax_rates()),
                           kpi_results=kpi_results, kpi_form=KpiResultForm.for_contract(contract),
                           can_review=problem is None, review_form=ReviewForm(), reply_form=ReplyForm(),
                           reason_form=ReasonForm(),
                           release_due_at=escrow.release_due_at, milestone_actions=escrow.allowed_actions,
                           awaiting_funding=escrow.awaiting_funding, net_on_release=escrow.net_on_release,
                           action_form=ActionForm(), deliver_form=DeliverForm(), changes_form=ChangesForm(),
                           dispute_form=DisputeForm(), fund_requests=organisations.waiting_fund_requests(contract),
                           periods=period_views.period_rows(contract) if contract.engagement != "fixed" else None,
                           kpi_charts=period_views.kpi_charts(contract), usage_form=UsageForm(),
                           import_form=KpiImportForm(), contest_form=ContestForm(),
                           auto_fund_form=AutoFundForm(auto_fund=contract.auto_fund), notice_form=NoticeForm(),
                           periods_form=PeriodsForm(periods=contract.periods_proposed),
                           period_actions=engagements.page_actions(contract))


@bp.post("/<int:contract_id>/kpi-results")
@role_required("brand")
def record_kpi_result(contract_id: int):
    contract = contracts.contract_for(current_user, contract_id)
    form = KpiResultForm.for_contract(contract)
    if submitted(form):
        perform(lambda: kpis.record_result(current_user, form.milestone_id.data, form.kpi_id.data, form.value.data),
                success=_("KPI result recorded. The provider has been told."))
    return redirect(url_for("contracts.detail", contract_id=contract_id) + "#kpis")


def _back(milestone_id: int):
    milestone = escrow.milestone_for(current_user, milestone_id)
    return redirect(url_for("contracts.detail", contract_id=milestone.contract_id) + f"#milestone-{milestone_id}")


@bp.post("/milestones/<int:milestone_id>/fund")
@role_required("brand")
def fund(milestone_id: int):
    if submitted(ActionForm()):
        result = perform(lambda: funding.fund(current_user, milestone_id))
        if result and result.status == "awaiting_payment" and result.client_secret is None:
            # the attempt is committed; only now is Stripe asked for its PaymentIntent
            result = perform(lambda: funding.collect_card(current_user, milestone_id))
        if result and result.status == "awaiting_payment":
            return redirect(url_for("contracts.pay", milestone_id=milestone_id))
        if result and result.status == "awaiting_confirmation":
            flash(_("Your organisation asks two members for this amount: a second finance or owner member "
                    "confirms by funding it too."), "success")
        elif result:
            flash(_("The milestone is funded and held in escrow. The provider can start."), "success")
    return _back(milestone_id)


@bp.get("/milestones/<int:milestone_id>/pay")
@role_required("brand")
def pay(milestone_id: int):
    """Stripe backend: collect the card for the milestone's PaymentIntent with Stripe.js."""
    milestone = escrow.milestone_for(current_user, milestone_id)
    if current_user.account_id != milestone.contract.brand_id:
        abort(404)
    unfunded = escrow.awaiting_funding(milestone)
    payment = stripe_funding.open_payment(milestone) if unfunded else None
    # Paid meanwhile, or the attempt was cancelled or declined at Stripe, or its PaymentIntent was never
    # made (funding again makes it).
    if payment is None or payment.client_secret is None:
        flash(_("This milestone has no card payment waiting. If it is not funded yet, choose “Fund into escrow” "
                "to pay again.") if unfunded else _("This milestone is already paid for."), "info")
        return _back(milestone_id)
    return render_template("contracts/pay.html", milestone=milestone, payment=payment,
                           publishable_key=stripe_funding.publishable_key(), js_url=stripe_funding.js_url())


@bp.post("/milestones/<int:milestone_id>/deliver")
@role_required("provider")
def deliver(milestone_id: int):
    form = DeliverForm()
    if submitted(form):
        links = [line.strip() for line in (form.links.data or "").splitlines() if line.strip()]
        files = [(f.stream, f.filename) for f in form.files.data or [] if f and f.filename]
        perform(lambda: escrow.deliver(current_user, milestone_id, form.note.data or "", links, files),
                success=_("Delivered. The brand has been asked to review it."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/request-changes")
@role_required("brand")
def request_changes(milestone_id: int):
    form = ChangesForm()
    if submitted(form):
        perform(lambda: escrow.request_changes(current_user, milestone_id, form.note.data or ""),
                success=_("Changes requested; the provider sees your note."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/accept")
@role_required("brand")
def accept(milestone_id: int):
    if submitted(ActionForm()):
        perform(lambda: escrow.accept(current_user, milestone_id),
                success=_("Accepted. The payment is released to the provider."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/cancel")
@role_required("brand")
def cancel(milestone_id: int):
    if submitted(ActionForm()):
        perform(lambda: funding.cancel(current_user, milestone_id), success=_("The milestone is cancelled."))
    return _back(milestone_id)


@bp.get("/<int:contract_id>/document.pdf")
@login_required
def document(contract_id: int):
    """The contract document: the parties and staff only (404 for anyone else)."""
    return send_attachment(contract_documents.document_for(current_user, contract_id))


@bp.post("/milestones/<int:milestone_id>/invoice")
@role_required("provider")
def issue_invoice(milestone_id: int):
    form = InvoiceForm.with_rates(invoices.tax_rates())
    if submitted(form):
        upload = form.file.data if form.file.data and form.file.data.filename else None
        perform(lambda: invoices.issue(current_user, milestone_id, number=form.number.data,
                                       tax_rate_bps=form.tax_rate.data, stream=upload and upload.stream,
                                       filename=upload.filename if upload else ""),
                success=_("The invoice is recorded."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/platform-invoice")
@role_required("admin")
def issue_platform_invoice(milestone_id: int):
    if submitted(ActionForm()):
        perform(lambda: invoices.issue_platform(current_user, milestone_id),
                success=_("The platform's invoice for its commission is recorded."))
    return _back(milestone_id)


@bp.get("/invoices/<int:invoice_id>/file")
@login_required
def invoice_file(invoice_id: int):
    return send_attachment(invoices.file_of(current_user, invoice_id))


@bp.get("/milestones/<int:milestone_id>/files/<int:file_id>")
@login_required
def delivery_file(milestone_id: int, file_id: int):
    milestone = escrow.milestone_for(current_user, milestone_id)
    stored = one_of([f for d in milestone.deliveries for f in d.files], file_id)
    previews.check_original(current_user, milestone, stored)  # a brand's images: only after release
    return send_attachment(stored)


@bp.get("/milestones/<int:milestone_id>/files/<int:file_id>/<variant>")
@login_required
def delivery_file_variant(milestone_id: int, file_id: int, variant: str):
    milestone = escrow.milestone_for(current_user, milestone_id)
    return send_variant(one_of([f for d in milestone.deliveries for f in d.files], file_id), variant)


# --- retainer and metered contracts --------------------------------------------------------------------

def _to_contract(contract_id: int, anchor: str = "periods"):
    return redirect(url_for("contracts.detail", contract_id=contract_id) + f"#{anchor}")


@bp.post("/milestones/<int:milestone_id>/usage")
@login_required
def record_usage(milestone_id: int):
    form = UsageForm()
    if submitted(form):
        perform(lambda: engagements.record_usage(current_user, milestone_id, form.quantity.data, form.note.data),
                success=_("Usage recorded."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/kpi-import")
@role_required("brand")
def import_kpis(milestone_id: int):
    form = KpiImportForm()
    if submitted(form):
        data = form.file.data.read(kpi_import.MAX_BYTES + 1)
        perform(lambda: kpi_import.import_csv(current_user, milestone_id, data),
                success=_("KPI figures imported. The provider has been told."))
    return _back(milestone_id)


@bp.post("/milestones/<int:milestone_id>/kpi-contest")
@role_required("provider")
def contest_kpis(milestone_id: int):
    form = ContestForm()
    if submitted(form):
        dispute = perform(lambda: kpi_import.contest(current_user, milestone_id, form.statement.data))
        if dispute:
            return redirect(url_for("disputes.detail", dispute_id=dispute.id))
    return _back(milestone_id)


@bp.post("/<int:contract_id>/auto-fund")
@role_required("brand")
def auto_fund(contract_id: int):
    form = AutoFundForm()
    if submitted(form):
        perform(lambda: engagements.set_auto_fund(current_user, contract_id, form.auto_fund.data),
                success=ngettext("Auto-fund is on: each period is funded from your wallet %(num)s day before it "
                                 "starts.", "Auto-fund is on: each period is funded from your wallet %(num)s days "
                                 "before it starts.", engagements.FUND_AHEAD.days)
                if form.auto_fund.data else _("Auto-fund is off."))
    return _to_contract(contract_id)


@bp.post("/<int:contract_id>/notice")
@login_required
def give_notice(contract_id: int):
    form = NoticeForm()
    if submitted(form):
        perform(lambda: engagements.give_notice(current_user, contract_id, immediate=form.immediate.data),
                success=_("Notice given. Both sides have been told."))
    return _to_contract(contract_id)


@bp.post("/<int:contract_id>/periods")
@login_required
def change_periods(contract_id: int):
    form = PeriodsForm()
    if submitted(form):
        perform(lambda: engagements.change_periods(current_user, contract_id, form.periods.data),
                success=_("Saved. The other side has been told."))
    return _to_contract(contract_id)
