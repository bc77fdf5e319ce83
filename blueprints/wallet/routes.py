"""The user's wallet: balances and every ledger entry that touched the user's accounts; a brand's
bank transfer details, its bank account and its withdrawals."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.payouts.forms import BankDetailsForm
from blueprints.wallet.forms import CardTopUpForm, WithdrawalForm
from blueprints.web import perform, role_required
from extensions import db
from i18n import minor_units
from models import CardTopUp
from services import (
    bank_statements,
    card_top_ups,
    ledger,
    payout_accounts,
    permissions,
    statements,
    stripe_funding,
    withdrawals,
)

bp = Blueprint("wallet", __name__, url_prefix="/wallet")


def _page(withdrawal_form=None, bank_form=None, status=200, card_form=None):
    page = ledger.entries_of(current_user, max(request.args.get("page", 1, type=int) or 1, 1), 50)
    reads_money = current_user.is_brand and permissions.allowed(current_user, "wallet.read")
    top_up = bank_statements.top_up_details(current_user) if reads_money else None
    manages = current_user.is_brand and permissions.allowed(current_user, "wallet.manage")
    bank = withdrawals.bank_account(current_user) if manages else None
    if manages and bank_form is None:
        bank_form = BankDetailsForm(data={"account_name": bank.bank_account_name, "bank_name": bank.bank_name,
                                          "account_number": bank.bank_account_number} if bank else None)
    refs = statements.milestone_refs(e.posting.milestone_id for e in page.items)  # for the lines' sentences
    return render_template("wallet/index.html", balances=ledger.balances_of(current_user), page=page, args={},
                           refs=refs, top_up=top_up, manages=manages, bank=bank, bank_form=bank_form,
                           withdrawal_form=withdrawal_form or WithdrawalForm(),
                           card_form=(card_form or CardTopUpForm()) if manages and card_top_ups.available() else None,
                           available={c: withdrawals.available(current_user, c)
                                      for c in {b.currency for b in ledger.balances_of(current_user)
                                                if b.kind == "brand_wallet"}} if manages else {},
                           withdrawals=withdrawals.of(current_user).items if reads_money else []), status


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/withdrawals")
@role_required("brand")
def withdraw():
    form = WithdrawalForm()
    if form.validate_on_submit():
        amount = minor_units(form.amount.data, form.currency.data) if form.amount.data is not None else None
        if amount is None:
            form.amount.errors.append(_("Enter the amount with at most two decimal places."))
        elif perform(lambda: withdrawals.request(current_user, amount, form.currency.data), form=form,
                     success=_("Withdrawal requested: the money is held until finance approves it.")):
            return redirect(url_for("wallet.index"))
    return _page(withdrawal_form=form, status=422)


@bp.post("/bank-account")
@role_required("brand")
def bank_account():
    form = BankDetailsForm()
    if form.validate_on_submit() and perform(
            lambda: payout_accounts.save_bank_details(current_user, account_name=form.account_name.data,
                                                      bank_name=form.bank_name.data,
                                                      account_number=form.account_number.data, otp=form.otp.data),
            form=form, success=_("Bank account saved. Withdrawals are paid to it.")):
        return redirect(url_for("wallet.index"))
    return _page(bank_form=form, status=422)


@bp.post("/card-top-ups")
@role_required("brand")
def card_top_up():
    """Record the attempt, commit, then make its PaymentIntent (services.card_top_ups) and collect the card."""
    form = CardTopUpForm()
    if form.validate_on_submit():
        amount = minor_units(form.amount.data, form.currency.data) if form.amount.data is not None else None
        if amount is None:
            form.amount.errors.append(_("Enter the amount with at most two decimal places."))
        else:
            top_up = perform(lambda: card_top_ups.start(current_user, amount, form.currency.data), form=form)
            if top_up and perform(lambda: card_top_ups.collect(current_user, top_up.id), form=form):
                return redirect(url_for("wallet.pay_card", top_up_id=top_up.id))
    return _page(card_form=form, status=422)


@bp.get("/card-top-ups/<int:top_up_id>")
@role_required("brand")
def pay_card(top_up_id: int):
    """Stripe.js collects the card (static/js/pay.js); the webhook credits the wallet."""
    top_up = db.session.get(CardTopUp, top_up_id)
    if top_up is None or top_up.brand_id != current_user.account_id or top_up.client_secret is None:
        abort(404)
    return render_template("wallet/card.html", top_up=top_up, publishable_key=stripe_funding.publishable_key(),
                           js_url=stripe_funding.js_url())
