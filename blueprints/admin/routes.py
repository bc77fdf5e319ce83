"""Staff pages: the provider verification queue and decisions, deposits, and the staff audit log."""
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.forms import (
    ApproveWithdrawalForm,
    AssignLineForm,
    CategoryMarginForm,
    DepositForm,
    MarginAwardForm,
    MarginAwardRejectForm,
    RefuseWithdrawalForm,
    RejectForm,
    ReturnLineForm,
    StatementForm,
    VerifyForm,
)
from blueprints.web import ActionForm, filter_args, perform, role_required, submitted
from extensions import db
from i18n import labels, minor_units, select_timezone
from models import User
from models.catalog import CATEGORIES
from models.profile import VERIFICATION_STATUSES
from services import audit, bank_statements, funding, ledger, margins, profiles, withdrawals
from services.errors import DomainError
from texts import audit_log

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def staff_only():
    """Every page here is for platform staff only."""


@bp.get("/providers", defaults={"kind": "provider"}, endpoint="providers")
@bp.get("/brands", defaults={"kind": "brand"}, endpoint="brands")
def verification_queue(kind: str):
    """Providers (or brands) by verification status; pending ones oldest first."""
    status = request.args.get("status", "pending")
    if status not in VERIFICATION_STATUSES:
        status = "pending"
    page = profiles.verification_queue(status, max(request.args.get("page", 1, type=int) or 1, 1), 20, kind)
    return render_template("admin/providers.html", page=page, status=status, statuses=VERIFICATION_STATUSES,
                           args={"status": status}, kind=kind)


def _verification_page(kind: str, user_id: int, verify_form=None, reject_form=None, status=200):
    """One screen: the licence image, what the account entered, and every other account with its code."""
    profile = profiles.get_verifiable(kind, user_id)
    verify_form = verify_form or VerifyForm(checked_number=profile.registration_number)
    return render_template("admin/provider.html", profile=profile, kind=kind, verify_form=verify_form,
                           reject_form=reject_form or RejectForm(),
                           same_code=profiles.same_code_accounts(profile)), status


@bp.get("/providers/<int:user_id>", defaults={"kind": "provider"}, endpoint="provider")
@bp.get("/brands/<int:user_id>", defaults={"kind": "brand"}, endpoint="brand")
def verification_screen(kind: str, user_id: int):
    return _verification_page(kind, user_id)


@bp.post("/providers/<int:user_id>/verify", defaults={"kind": "provider"}, endpoint="verify")
@bp.post("/brands/<int:user_id>/verify", defaults={"kind": "brand"}, endpoint="verify_brand")
def verify(kind: str, user_id: int):
    form = VerifyForm()
    if form.validate_on_submit() and perform(
            lambda: profiles.verify(current_user, kind, user_id, checked_number=form.checked_number.data,
                                    note=form.note.data or ""),
            form=form, success=_("Provider verified.") if kind == "provider" else _("Brand verified.")):
        return redirect(url_for(f"admin.{kind}s"))
    return _verification_page(kind, user_id, verify_form=form, status=422)


@bp.post("/providers/<int:user_id>/reject", defaults={"kind": "provider"}, endpoint="reject")
@bp.post("/brands/<int:user_id>/reject", defaults={"kind": "brand"}, endpoint="reject_brand")
def reject(kind: str, user_id: int):
    form = RejectForm()
    if form.validate_on_submit() and perform(
            lambda: profiles.reject(current_user, kind, user_id, reason=form.reason.data),
            form=form, success=_("Rejected; the reason is shown to the account.")):
        return redirect(url_for(f"admin.{kind}s"))
    return _verification_page(kind, user_id, reject_form=form, status=422)


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


def _statements_page(form=None, errors=None, result=None, status=200):
    form = form or StatementForm()
    form.bank.choices = [(name, name) for name in current_app.config["BANK_STATEMENT_FORMATS"]]
    return render_template("admin/bank_statements.html", form=form, errors=errors or {}, result=result,
                           queue=bank_statements.queue(), recent=bank_statements.recent(30),
                           reasons=bank_statements.REASONS, assign_form=AssignLineForm(),
                           return_form=ReturnLineForm()), status


@bp.get("/bank-statements")
def bank_statements_page():
    """Finance imports the bank account's statement; lines matching no wallet wait here for a decision."""
    return _statements_page()


@bp.post("/bank-statements")
def import_statement():
    form = StatementForm()
    form.bank.choices = [(name, name) for name in current_app.config["BANK_STATEMENT_FORMATS"]]
    if not form.validate_on_submit():
        return _statements_page(form, status=422)
    try:
        result = bank_statements.import_statement(current_user, form.file.data.read(), form.bank.data)
        db.session.commit()
    except DomainError as exc:  # a malformed file: every line and field that is wrong, nothing imported
        db.session.rollback()
        return _statements_page(form, errors={"": exc.message, **exc.fields}, status=422)
    flash(_("Statement imported: %(matched)s credited, %(unmatched)s to the queue, %(duplicates)s already imported.",
            matched=result.matched, unmatched=len(result.unmatched), duplicates=result.duplicates), "success")
    return redirect(url_for("admin.bank_statements_page"))


@bp.post("/bank-statements/lines/<int:line_id>/assign")
def assign_line(line_id: int):
    form = AssignLineForm()
    if submitted(form):
        perform(lambda: bank_statements.assign(current_user, line_id, form.account.data, form.note.data or ""),
                success=_("Credited to the brand's wallet."))
    return redirect(url_for("admin.bank_statements_page"))


@bp.post("/bank-statements/lines/<int:line_id>/return")
def return_line(line_id: int):
    form = ReturnLineForm()
    if submitted(form):
        perform(lambda: bank_statements.mark_returned(current_user, line_id, form.note.data),
                success=_("Marked returned to the payer."))
    return redirect(url_for("admin.bank_statements_page"))


@bp.get("/withdrawals")
def withdrawals_page():
    """Brands' withdrawal requests waiting for finance, and the approved ones waiting for a batch."""
    waiting = withdrawals.queue()
    return render_template("admin/withdrawals.html", waiting=waiting,
                           banks=withdrawals.bank_accounts({w.brand_id for w in waiting}),
                           approved=withdrawals.queue("approved"), approve_form=ApproveWithdrawalForm(),
                           refuse_form=RefuseWithdrawalForm())


@bp.post("/withdrawals/<int:withdrawal_id>/approve")
def approve_withdrawal(withdrawal_id: int):
    form = ApproveWithdrawalForm()
    if submitted(form):
        perform(lambda: withdrawals.approve(current_user, withdrawal_id, form.note.data or ""),
                success=_("Withdrawal approved: the next payout batch takes it to the brand's bank account."))
    return redirect(url_for("admin.withdrawals_page"))


@bp.post("/withdrawals/<int:withdrawal_id>/refuse")
def refuse_withdrawal(withdrawal_id: int):
    form = RefuseWithdrawalForm()
    if submitted(form):
        perform(lambda: withdrawals.refuse(current_user, withdrawal_id, form.reason.data),
                success=_("Withdrawal refused: the money is back in the brand's wallet."))
    return redirect(url_for("admin.withdrawals_page"))


def _category_form(form=None) -> CategoryMarginForm:
    form = form or CategoryMarginForm()
    form.category.choices = [(c, labels.CATEGORY_LABELS.get(c, c)) for c in CATEGORIES]
    return form


def _margins_page(category_form=None, award_form=None, status=200):
    return render_template("admin/margins.html", requirements=margins.category_requirements(),
                           currency=margins.MARGIN_CURRENCY, category_form=_category_form(category_form),
                           award_form=award_form or MarginAwardForm(), pending=margins.pending_awards(),
                           action_form=ActionForm(), reject_form=MarginAwardRejectForm(),
                           threshold=margins.approval_threshold()), status


@bp.get("/margins")
def margins_page():
    """Margin deposits: what each category requires, awards to brands after lost disputes, and the
    awards above the approval threshold waiting for a second staff member."""
    return _margins_page()


@bp.post("/margins/categories")
def set_category_margin():
    form = _category_form()
    if form.validate_on_submit():
        amount = minor_units(form.amount.data, margins.MARGIN_CURRENCY) if form.amount.data is not None else None
        if amount is None:
            form.amount.errors.append(_("Enter the amount with at most two decimal places."))
        elif perform(lambda: margins.set_category(current_user, form.category.data, amount), form=form,
                     success=_("Margin requirement saved.")):
            return redirect(url_for("admin.margins_page"))
    return _margins_page(category_form=form, status=422)


@bp.post("/margins/awards")
def award_margin():
    form = MarginAwardForm()
    if form.validate_on_submit():
        amount = minor_units(form.amount.data, margins.MARGIN_CURRENCY)
        if amount is None:
            form.amount.errors.append(_("Enter the amount with at most two decimal places."))
        elif perform(lambda: margins.award(current_user, form.dispute_id.data, amount, form.reason.data), form=form,
                     success=_("Margin award recorded.")):
            return redirect(url_for("admin.margins_page"))
    return _margins_page(award_form=form, status=422)


@bp.post("/margins/awards/<int:award_id>/approve")
def approve_margin_award(award_id: int):
    if submitted(ActionForm()):
        perform(lambda: margins.approve_award(current_user, award_id),
                success=_("Margin award approved: the money is in the brand's wallet."))
    return redirect(url_for("admin.margins_page"))


@bp.post("/margins/awards/<int:award_id>/reject")
def reject_margin_award(award_id: int):
    form = MarginAwardRejectForm()
    if submitted(form):
        perform(lambda: margins.reject_award(current_user, award_id, form.reason.data),
                success=_("Margin award rejected."))
    return redirect(url_for("admin.margins_page"))


AUDIT_FILTERS = ("actor", "action", "subject_type", "subject_id", "affected", "date_from", "date_to", "q")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


def audit_filters() -> audit.Filters:
    """The log's filters from the query string; a value that is not one the page offers is ignored."""
    args = request.args
    actor = args.get("actor", "")
    action, subject_type = args.get("action") or None, args.get("subject_type") or None
    subject_id = args.get("subject_id", type=int)
    return audit.Filters(
        actor_id=int(actor) if actor.isdigit() and len(actor) <= 18 else None, command_line=actor == "cli",
        action=action if action and len(action) <= 64 else None,
        subject_type=subject_type if subject_type in audit.SUBJECT_TYPES else None,
        subject_id=subject_id if subject_id is not None and 0 <= subject_id < 2**63 else None,
        affected=(args.get("affected") or "").strip()[:254] or None, date_from=_day("date_from"),
        date_to=_day("date_to"), text=args.get("q") or None, timezone=select_timezone())


def subject_url(entry) -> str | None:
    """The staff page of what an entry acted on, when there is one."""
    kind, key, after = entry.subject_type, entry.subject_id, entry.after or {}
    if key is None:
        return None
    if kind == "review" and after.get("contract_id"):
        return url_for("contracts.detail", contract_id=after["contract_id"], _anchor=f"review-{key}")
    if kind == "review" and after.get("contest_id"):  # a contest prize's review
        return url_for("contests.detail", contest_id=after["contest_id"], _anchor=f"review-{key}")
    if kind == "payout" and after.get("batch_id"):
        return url_for("payouts.batch", batch_id=after["batch_id"])
    pages = {"provider": ("admin.provider", "user_id"), "brand": ("admin.brand", "user_id"),
             "dispute": ("disputes.detail", "dispute_id"),
             "payout_batch": ("payouts.batch", "batch_id"), "chargeback": ("chargebacks.detail", "chargeback_id"),
             "reconciliation_run": ("finance.run", "run_id")}
    if kind in pages:
        endpoint, name = pages[kind]
        return url_for(endpoint, **{name: key})
    if kind == "user" or (kind == "suspension" and entry.affected_user_id):
        return url_for("admin.account", user_id=key if kind == "user" else entry.affected_user_id)
    if kind == "bank_statement_line":
        return url_for("admin.bank_statements_page")
    if kind == "withdrawal":
        return url_for("admin.withdrawals_page")
    if kind == "category_margin":
        return url_for("admin.margins_page")
    return url_for("admin.deposits") if kind == "deposit" else None


@bp.get("/audit")
def audit_log_page():
    """Everything staff did, newest first: who, when, what, on what, to whom, why, and what changed."""
    filters = audit_filters()
    try:
        page, error = audit.search(filters, max(request.args.get("page", 1, type=int) or 1, 1), 50), None
    except DomainError as exc:  # a filter out of range (an end before the start): say so, list nothing
        page, error = None, " ".join(str(why) for why in exc.fields.values()) or str(exc.message)
    return render_template("admin/audit.html", page=page, error=error, filters=filters,
                           actor=request.args.get("actor", ""), staff=audit.staff_members(),
                           actions=audit.known_actions(), subject_types=audit.SUBJECT_TYPES, text=audit_log,
                           subject_url=subject_url, args=filter_args(*AUDIT_FILTERS)), 200 if error is None else 422
