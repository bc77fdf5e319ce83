"""Wallet top-up (contract "Wallet top-up"): what a brand writes on its bank transfer, and finance's
import of the bank statement with the queue of lines that matched no wallet."""
from flask import request

from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.common import PageQuery
from blueprints.api.schemas.wallet import (
    AssignIn,
    BankOut,
    CardTopUpIn,
    CardTopUpOut,
    ImportOut,
    QueueOut,
    ReturnIn,
    StatementLineOut,
    TopUpOut,
    WithdrawalApproveIn,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalPage,
    WithdrawalRefuseIn,
)
from extensions import db
from services import bank_statements, card_top_ups, stripe_funding, withdrawals
from services.errors import Invalid


def line_out(line, number: int | None = None) -> StatementLineOut:
    out = StatementLineOut.model_validate(line, from_attributes=True)
    out.line = number
    if line.reason:
        out.field, out.message = "reference", str(bank_statements.REASONS[line.reason])
    return out


@api_route("/wallet/top-up", summary="The platform's bank account and the brand's transfer reference",
           tag="Ledger", response=TopUpOut, roles=("brand",), errors=(403,))
def top_up():
    """Transfer to this account with `reference` on the transfer; the statement import credits it."""
    details = bank_statements.top_up_details(current_api_user())
    return TopUpOut(bank=BankOut(name=details.bank_name, account=details.bank_account, holder=details.bank_holder),
                    reference=details.reference)


@api_route("/admin/bank-statements", "POST", summary="Import the platform bank account's statement (CSV)",
           tag="Ledger", response=ImportOut, roles=("admin",), errors=(403, 422), upload=True)
def import_statement():
    """Multipart `file` (header `date,amount,currency,reference,transaction_id`, or the columns of the
    format named by the optional form field `bank`). A malformed file is refused whole (422 naming each
    line and field); otherwise matching lines are credited, the rest queued, and lines seen before
    counted as duplicates: a transaction id is credited at most once, ever."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(fields={"file": "a multipart part named `file` is required"})
    result = bank_statements.import_statement(current_api_user(), upload.read(),
                                              request.form.get("bank") or "default")
    return ImportOut(matched=result.matched, duplicates=result.duplicates,
                     unmatched=[line_out(line, result.numbers.get(line.id)) for line in result.unmatched])


@api_route("/admin/bank-statements/unmatched", summary="Statement lines waiting for staff's decision",
           tag="Ledger", response=QueueOut, roles=("admin",), errors=(403,))
def unmatched_lines():
    return QueueOut(items=[line_out(line) for line in bank_statements.queue()])


@api_route("/admin/bank-statements/lines/<int:line_id>/assign", "POST", summary="Credit a queued line to a brand",
           tag="Ledger", body=AssignIn, response=StatementLineOut, roles=("admin",), errors=(403, 404, 409, 422))
def assign_line(line_id: int, body: AssignIn):
    return line_out(bank_statements.assign(current_api_user(), line_id, body.account, body.note))


@api_route("/admin/bank-statements/lines/<int:line_id>/return", "POST", summary="Mark a queued line returned",
           tag="Ledger", body=ReturnIn, response=StatementLineOut, roles=("admin",), errors=(403, 404, 409, 422))
def return_line(line_id: int, body: ReturnIn):
    return line_out(bank_statements.mark_returned(current_api_user(), line_id, body.note))


def withdrawal_out(withdrawal) -> WithdrawalOut:
    return WithdrawalOut.model_validate(withdrawal, from_attributes=True)


@api_route("/wallet/withdrawals", "POST", summary="Withdraw wallet money to the brand's bank account", tag="Ledger",
           body=WithdrawalIn, response=WithdrawalOut, status=201, roles=("brand",), errors=(403, 409, 422))
def request_withdrawal(body: WithdrawalIn):
    """At most the available balance (money being funded into a milestone is not available); the amount
    is held out of the wallet at once, staff approve or refuse it, and an approved withdrawal is paid with
    the next payout batch. 409 `no_bank_account` before the brand entered its bank account,
    409 `insufficient_funds` above the available balance."""
    return withdrawal_out(withdrawals.request(current_api_user(), body.amount, body.currency))


@api_route("/wallet/withdrawals", summary="The brand's withdrawals, newest first", tag="Ledger", query=PageQuery,
           response=WithdrawalPage, roles=("brand",), errors=(403,))
def list_withdrawals(query: PageQuery):
    page = withdrawals.of(current_api_user(), query.page, query.per_page)
    return WithdrawalPage(items=[withdrawal_out(w) for w in page.items], page=page.page, per_page=page.per_page,
                          total=page.total, total_is_estimate=page.total_is_estimate)


@api_route("/admin/withdrawals/<int:withdrawal_id>/approve", "POST", summary="Approve a withdrawal", tag="Ledger",
           body=WithdrawalApproveIn, response=WithdrawalOut, roles=("admin",), errors=(403, 404, 409, 422))
def approve_withdrawal(withdrawal_id: int, body: WithdrawalApproveIn):
    return withdrawal_out(withdrawals.approve(current_api_user(), withdrawal_id, body.note))


@api_route("/admin/withdrawals/<int:withdrawal_id>/refuse", "POST", summary="Refuse a withdrawal (the money returns "
           "to the wallet)", tag="Ledger", body=WithdrawalRefuseIn, response=WithdrawalOut, roles=("admin",),
           errors=(403, 404, 409, 422))
def refuse_withdrawal(withdrawal_id: int, body: WithdrawalRefuseIn):
    return withdrawal_out(withdrawals.refuse(current_api_user(), withdrawal_id, body.reason))


@api_route("/wallet/card-top-ups", "POST", summary="Top up the wallet by card (when Stripe is configured)",
           tag="Ledger", body=CardTopUpIn, response=CardTopUpOut, status=201, roles=("brand",),
           errors=(403, 409, 422))
def card_top_up(body: CardTopUpIn):
    """A PaymentIntent for the amount: confirm it with Stripe.js and `client_secret`. The wallet is
    credited only when Stripe's signed `payment_intent.succeeded` webhook arrives, once. 409
    `card_unavailable` when Stripe is not configured."""
    user = current_api_user()
    top_up = card_top_ups.start(user, body.amount, body.currency)
    db.session.commit()  # the attempt is on record before Stripe is asked for its PaymentIntent
    top_up = card_top_ups.collect(user, top_up.id)
    out = CardTopUpOut.model_validate(top_up, from_attributes=True)
    out.publishable_key = stripe_funding.publishable_key()
    return out
