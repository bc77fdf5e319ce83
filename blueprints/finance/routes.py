"""Staff finance pages: the money dashboard (and its figures as CSV) and the reconciliation results."""
from babel.dates import format_skeleton
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.web import ActionForm, perform, role_required
from i18n import major_units, money, select_timezone
from i18n.labels import ACCOUNT_LABELS, CONTEST_STATUS_LABELS, MILESTONE_STATUS_LABELS
from services import csv_export, finance, reconciliation

bp = Blueprint("finance", __name__, url_prefix="/finance")

METRIC_LABELS = {"funded": _l("Funded into escrow"), "released": _l("Released"), "revenue": _l("Platform revenue"),
                 "paid_out": _l("Paid out"), "fees": _l("Processor fees"), "net_revenue": _l("Net platform revenue")}
TOTAL_LABELS = {"escrow": _l("Money in escrow"), "payable": _l("Provider payable"),
                "in_flight": _l("Payouts in flight"), "paid_out": _l("Paid out"),
                "revenue": _l("Platform revenue (gross: commission)"), "fees": _l("Processor fees (Stripe)"),
                "net_revenue": _l("Net platform revenue")}
CHECK_LABELS = {
    "posting_balance": _l("Every posting balanced"),
    "zero_sum": _l("All accounts sum to zero"),
    "escrow": _l("Escrow per milestone"),
    "contest_escrow": _l("Prize escrow per contest"),
    "payouts": _l("Payouts"),
    "bank_statements": _l("Bank statements and unassigned transfers"),
    "margins": _l("Providers' margin deposits"),
    "stripe_payments": _l("Stripe payments"),
    "stripe_refunds": _l("Stripe refunds"),
    "stripe_transfers": _l("Stripe transfers"),
    "stripe_disputes": _l("Stripe chargebacks"),
    "stripe_balance_transactions": _l("Stripe balance transactions, per day"),
    "stripe_balance": _l("Stripe balance and the clearing account"),
}
TRIGGER_LABELS = {"schedule": _l("The daily schedule"), "cli": _l("The command line"), "api": _l("The API"),
                  "finance_page": _l("The finance page")}
ROLE_LABELS = {"payable": ACCOUNT_LABELS["provider_payable"], "clearing": ACCOUNT_LABELS["payouts_clearing"],
               "outside": _l("Bank or Stripe")}


@bp.before_request
@role_required("admin")
def staff_only():
    """Every page here is for platform staff only."""


def _label(day) -> str:
    """A bucket's first day, short and in the viewer's language (“Nov 22”, “11月22日”)."""
    return format_skeleton("MMMd", day, locale=get_locale())


def _chart(series: finance.Series, currency: str, title: str, period: str) -> dict:
    """What the bar_chart macro draws: one group of bars per bucket, one bar per metric."""
    rows = series.rows(currency)
    values = {m: [amounts[m] for _start, amounts in rows] for m in finance.METRICS}
    return {"title": title, "period": period, "currency": currency,
            "labels": [_label(start) for start, _amounts in rows],
            "series": [{"metric": m, "name": METRIC_LABELS[m], "values": values[m]} for m in finance.METRICS],
            "top": max([1, *(v for vs in values.values() for v in vs)])}


@bp.get("")
def dashboard():
    timezone = select_timezone()
    overview = finance.overview(timezone)
    charts = {currency: [
        _chart(overview.daily, currency, _("Last %(count)s days", count=finance.DAYS), _("Day")),
        _chart(overview.weekly, currency, _("Last %(count)s weeks", count=finance.WEEKS), _("Week starting")),
    ] for currency in overview.currencies}
    return render_template("finance/dashboard.html", overview=overview, charts=charts, total_labels=TOTAL_LABELS,
                           timezone=timezone, latest=reconciliation.latest(), form=ActionForm())


@bp.get("/<any(daily, weekly):period>.csv")
def download(period: str):
    """The dashboard's money per day (last DAYS) or week (last WEEKS) and currency, in major units:
    funded, released, gross revenue, paid out, processor fees and net platform revenue."""
    timezone = select_timezone()
    overview = finance.overview(timezone)
    series = overview.daily if period == "daily" else overview.weekly
    if not overview.currencies:
        abort(404)
    header = [_("Day") if period == "daily" else _("Week starting"), _("Currency"),
              *(str(METRIC_LABELS[m]) for m in finance.METRICS)]
    rows = ([start.isoformat(), currency, *(format(major_units(amounts[m], currency), "f") for m in finance.METRICS)]
            for currency in overview.currencies for start, amounts in series.rows(currency))
    return Response(csv_export.render([header, *rows]), mimetype="text/csv",  # BOM for Excel, cells inert
                    headers={"Content-Disposition": f'attachment; filename="witkey-finance-{period}.csv"'})


@bp.get("/reconciliation")
def runs():
    page = reconciliation.runs(max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("finance/runs.html", page=page, form=ActionForm(), args={})


@bp.get("/reconciliation/<int:run_id>")
def run(run_id: int):
    return render_template("finance/run.html", run=reconciliation.get_run(run_id), check_labels=CHECK_LABELS,
                           describe=describe, trigger_labels=TRIGGER_LABELS)


@bp.post("/reconciliation/run")
def run_now():
    if ActionForm().validate_on_submit():
        perform(lambda: reconciliation.request_run(current_user),  # queued once the request is on record
                success=_("Reconciliation queued; its result appears here when it has run."))
    return redirect(url_for("finance.runs"))


def describe(d: dict) -> str:
    """One difference as a sentence in the viewer's language (runs store codes, not text)."""
    def amount(name: str) -> str:
        return money(d.get(name), d.get("currency") or "CNY")

    posting = d.get("posting", "")
    texts = {
        "unbalanced": lambda: _("The posting's entries do not sum to zero."),
        "not_zero": lambda: _("All accounts together do not sum to zero in this currency."),
        "escrow_vs_postings": lambda: _(
            "The escrow balance does not match the milestone's postings (funded %(funded)s, released %(released)s, "
            "decided %(decided)s).", funded=amount("funded"), released=amount("released"), decided=amount("decided")),
        "escrow_vs_status": lambda: _("The escrow balance does not match the milestone's status (%(status)s).",
                                      status=MILESTONE_STATUS_LABELS.get(d.get("status"), d.get("status"))),
        "contest_vs_postings": lambda: _("The contest's prize escrow does not match its postings (one in at "
                                         "publish, one out when it is decided)."),
        "contest_vs_status": lambda: _("The contest's prize escrow does not match its status (%(status)s): the whole "
                                       "prize while undecided, nothing after.",
                                       status=CONTEST_STATUS_LABELS.get(d.get("status"), d.get("status"))),
        "posting_missing": lambda: _("The posting %(posting)s is missing.", posting=posting),
        "posting_unexpected": lambda: _("The posting %(posting)s should not exist for a payout in status "
                                        "“%(status)s”.", posting=posting, status=d.get("status")),
        "posting_amount": lambda: _("The posting %(posting)s moves a different amount on %(account)s.",
                                    posting=posting, account=ROLE_LABELS.get(d.get("role"), d.get("role"))),
        "posting_kind": lambda: _("The posting %(posting)s has the wrong kind.", posting=posting),
        "posting_reference": lambda: _("The posting %(posting)s carries a different bank reference or transfer.",
                                       posting=posting),
        "clearing_vs_pending": lambda: _("Payouts in flight on the ledger differ from the pending payouts."),
        "payable_negative": lambda: _("A provider's payable balance is negative."),
        "margin_negative": lambda: _("A provider's margin deposit is negative."),
        "award_posting": lambda: _("An applied margin award has no posting for its amount."),
        "award_unexpected": lambda: _("A margin award that was not applied has a posting."),
        "suspense_vs_queue": lambda: _("Unassigned bank transfers on the ledger differ from the statement lines "
                                       "waiting for staff."),
        "stripe_unreachable": lambda: _("Stripe could not be read: %(error)s", error=d.get("error", "")),
        "not_posted": lambda: _("Succeeded on Stripe, but no funding posting records it."),
        "not_on_stripe": lambda: _("A funding posting refers to a payment that did not succeed on Stripe."),
        "amount_differs": lambda: _("Stripe and the ledger disagree on the amount."),
        "refund_unknown": lambda: _("A refund on Stripe that the platform never owed."),
        "refunded_twice": lambda: _("Refunded more than once on Stripe."),
        "refund_missing": lambda: _("Recorded as sent, but not found on Stripe."),
        "refund_refused": lambda: _("Owed to the brand, but Stripe refused the refund: %(error)s. Refund it another "
                                    "way and record a correction.", error=d.get("error", "")),
        "transfer_unknown": lambda: _("A transfer on Stripe that belongs to no payout."),
        "payout_not_paid": lambda: _("Transferred on Stripe, but the payout is not marked paid."),
        "paid_posting_missing": lambda: _("Transferred on Stripe, but the payout has no paid posting."),
        "no_ledger_counterpart": lambda: _("Stripe moved money (%(type)s on %(day)s) that no posting records.",
                                           type=d.get("type"), day=d.get("day")),
        "fee_not_posted": lambda: _("Stripe kept a fee on this charge that is not posted as a processor fee."),
        "fee_differs": lambda: _("The posted processor fee differs from the fee Stripe kept."),
        "fee_without_charge": lambda: _("A processor fee is posted for a charge Stripe does not list."),
        "balance_differs": lambda: _("Stripe's balance (available and pending) differs from what the ledger's Stripe "
                                     "clearing account says it holds (refunds on their way: %(transit)s).",
                                     transit=money(d.get("refunds_in_transit") or 0, d.get("currency") or "CNY")),
        "transfer_missing": lambda: _("The posting %(posting)s has no transfer on Stripe.", posting=posting),
        "chargeback_missing": lambda: _("A chargeback on Stripe that has no case on the platform."),
        "status_differs": lambda: _("Stripe says “%(expected)s”, the chargeback case says “%(actual)s”.",
                                    expected=d.get("expected"), actual=d.get("actual")),
        "withdrawn_differs": lambda: _("The money Stripe took for the chargeback differs from its posting."),
        "reinstated_differs": lambda: _("The money Stripe returned for the chargeback differs from its posting."),
        "chargeback_not_on_stripe": lambda: _("A chargeback case whose dispute Stripe does not list."),
        "posting_without_chargeback": lambda: _("A chargeback posting that belongs to no case and no Stripe dispute."),
        "more_not_listed": lambda: _("%(count)s more differences are not listed.", count=d.get("actual")),
    }
    text = texts.get(d.get("detail"))
    return text() if text else str(d.get("detail"))
