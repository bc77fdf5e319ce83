"""Staff pages for accounts: look a brand or provider up, suspend it or lift its suspension, hold its
payouts, and decide appeals (the rules are services.suspensions)."""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.forms import AppealDecisionForm, StaffReasonForm, SuspendForm
from blueprints.admin.routes import bp
from blueprints.web import perform
from services import suspensions


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.get("/accounts")
def accounts():
    """Brand and provider accounts by e-mail or name, newest first."""
    query = request.args.get("q", "")[:254]
    page = suspensions.find_accounts(current_user, query, page=_page())
    return render_template("admin/accounts.html", page=page, query=query, args={"q": query} if query else {})


def _account_page(user_id: int, status: int = 200, **forms):
    user = suspensions.account_for_staff(current_user, user_id)
    forms = {"suspend_form": SuspendForm(), "lift_form": StaffReasonForm(prefix="lift"),
             "hold_form": StaffReasonForm(prefix="hold"), "release_form": StaffReasonForm(prefix="release"),
             "decision_form": AppealDecisionForm(), **forms}
    return render_template("admin/account.html", user=user, standing=suspensions.standing(user.id),
                           history=suspensions.history(user.id), **forms), status


@bp.get("/accounts/<int:user_id>")
def account(user_id: int):
    return _account_page(user_id)


@bp.post("/accounts/<int:user_id>/suspend")
def suspend(user_id: int):
    form = SuspendForm()
    if form.validate_on_submit() and perform(
            lambda: suspensions.suspend(current_user, user_id, form.reason.data, hold_payouts=form.hold_payouts.data,
                                        hold_reason=form.hold_reason.data or ""),
            form=form, success=_("Account suspended: its logins and tokens ended, and the user was told why.")):
        return redirect(url_for("admin.account", user_id=user_id))
    return _account_page(user_id, 422, suspend_form=form)


def _reason_action(user_id: int, prefix: str, action, success: str):
    form = StaffReasonForm(prefix=prefix)
    if form.validate_on_submit() and perform(lambda: action(current_user, user_id, form.reason.data), form=form,
                                             success=success):
        return redirect(url_for("admin.account", user_id=user_id))
    return _account_page(user_id, 422, **{f"{prefix}_form": form})


@bp.post("/accounts/<int:user_id>/lift")
def lift(user_id: int):
    return _reason_action(user_id, "lift", suspensions.lift, _("Suspension lifted; the user was told."))


@bp.post("/accounts/<int:user_id>/payouts/hold")
def hold_payouts(user_id: int):
    return _reason_action(user_id, "hold", suspensions.hold_payouts, _("Payouts to this account are held."))


@bp.post("/accounts/<int:user_id>/payouts/release")
def release_payouts(user_id: int):
    return _reason_action(user_id, "release", suspensions.release_payouts,
                          _("Payouts to this account are released."))


@bp.get("/suspensions")
def suspension_queue():
    """Suspensions with an appeal waiting, newest appeal first."""
    return render_template("admin/suspensions.html", page=suspensions.appeal_queue(current_user, page=_page()),
                           args={})


@bp.post("/suspensions/<int:suspension_id>/decide")
def decide_appeal(suspension_id: int):
    form = AppealDecisionForm()
    suspension = suspensions.get(current_user, suspension_id)
    if form.validate_on_submit() and perform(
            lambda: suspensions.decide_appeal(current_user, suspension_id, form.decision.data, form.reason.data),
            form=form, success=_("Appeal decided; the user was told.")):
        return redirect(url_for("admin.suspension_queue"))
    return _account_page(suspension.user_id, 422, decision_form=form)
