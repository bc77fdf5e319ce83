"""Monthly statements: a provider's earnings and payouts, a brand's spend by contract.

The statement shown follows from the user's role (nothing in the request picks it), so a provider
never sees a brand view or the reverse; staff have neither. Months are in the user's time zone.
"""
from datetime import date
from functools import partial

from babel.dates import format_skeleton
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.web import role_required
from i18n import labels, major_units, money, select_timezone
from models.types import utcnow
from services import csv_export, invoices, pdf, statements
from services.statements import YEARS, Month

bp = Blueprint("statements", __name__, url_prefix="/statements")

KIND_LABELS = labels.POSTING_LABELS  # a kind without a label shows as its code rather than failing
# (CategoryTotals attribute, label, sign shown): commission is stored as what the platform took.
TOTAL_ROWS = (
    ("releases", _l("Milestones released (before commission)"), 1),
    ("dispute_outcomes", _l("Dispute decisions (before commission)"), 1),
    ("commissions", _l("Platform commission"), -1),
    ("adjustments", _l("Corrections by staff"), 1),
    ("payouts", _l("Payouts"), 1),
    ("payout_reversals", _l("Failed payouts returned"), 1),
    ("other", _l("Other"), 1),
)


# --- helpers shared by the page and the CSV ---------------------------------------------------------

def _month(text: str | None, tz: str) -> Month:
    """?month=YYYY-MM, this month when absent; anything else is a 400 page saying what to type."""
    if not text:
        return Month.containing(utcnow(), tz)
    try:
        return Month.parse(text)
    except ValueError:
        abort(400, description=_("“%(value)s” is not a month. Use the form YYYY-MM, for example %(example)s.",
                                 value=text[:20], example=str(Month.containing(utcnow(), tz))))


def month_label(month: Month) -> str:
    """"October 2026" / "2026年10月" in the viewer's language."""
    return format_skeleton("yMMMM", date(month.year, month.month, 1), locale=get_locale())


def describe(line) -> str:
    """The milestone, and the memo when it says more (a correction's reason, a payout's note)."""
    parts = [line.milestone_title, line.memo if line.memo != line.milestone_title else None,
             _("KPI bonus %(amount)s", amount=money(line.bonus, line.currency)) if line.bonus else None,
             _("KPI penalty %(amount)s", amount=money(line.penalty, line.currency)) if line.penalty else None]
    return " · ".join(part for part in parts if part)


def sentence(line) -> str:
    """What the line is, in words: "Milestone 2 of “Spring tea shoot” released"."""
    return labels.statement_sentence(line.kind, line.milestone_number, line.tender_title, line.engagement)


def _statement_of(month: Month, tz: str) -> dict:
    """The month's statement (by the user's role) and the invoice records issued or received in it."""
    found = {"invoices": invoices.in_period(current_user, *month.bounds(tz))}
    if current_user.is_provider:
        return {**found, "provider": statements.provider_statement(current_user, month.year, month.month, tz)}
    return {**found, "brand": statements.brand_spend(current_user, month.year, month.month, tz)}


# --- the page ----------------------------------------------------------------------------------------

@bp.get("")
@role_required("provider", "brand")
def index():
    tz = select_timezone()
    month = _month(request.args.get("month"), tz)
    current = Month.containing(utcnow(), tz)
    template = "statements/print.html" if request.args.get("print") == "1" else "statements/index.html"
    return render_template(
        template, month=month, current=current, tz=tz, active_months=statements.months_with_activity(current_user, tz),
        previous=month.previous if month.previous.year in YEARS else None,
        next=month.next if month < current else None,
        kind_labels=KIND_LABELS, total_rows=TOTAL_ROWS, month_label=month_label, describe=describe, sentence=sentence,
        issued_at=utcnow(),
        **_statement_of(month, tz))


# --- CSV -----------------------------------------------------------------------------------------------

def _local(moment, tz: str) -> str:
    return moment.astimezone(statements.zone(tz)).strftime("%Y-%m-%d %H:%M:%S")


def _decimal(amount: int, currency: str) -> str:
    return format(major_units(amount, currency), "f")


def _text(value) -> str:
    """A text cell that a spreadsheet will not run as a formula (titles and memos are user input)."""
    return csv_export.text(value)


def _provider_rows(results, tz):
    yield [_("Date (%(zone)s)", zone=tz), _("Type"), _("Contract"), _("Description"), _("Gross"), _("Commission"),
           _("Net"), _("Balance"), _("Currency"), _("Voucher no.")]
    for s in results:
        money = partial(_decimal, currency=s.currency)
        yield [_local(s.month.start(tz), tz), _("Opening balance"), "", "", "", "", "", money(s.opening),
               s.currency, ""]
        for line in s.lines:
            yield [_local(line.posted_at, tz), str(KIND_LABELS.get(line.kind, line.kind)),
                   _text(f"#{line.contract_id} {line.tender_title}" if line.contract_id else ""), _text(describe(line)),
                   money(line.gross), money(line.commission), money(line.net), money(line.balance), s.currency,
                   _text(line.key)]
        yield ["", _("Closing balance"), "", "", "", "", "", money(s.closing), s.currency, ""]


def _brand_rows(results):
    yield [_("Contract"), _("Tender"), _("Funded into escrow"), _("Returned to you"), _("Net spend"), _("Currency")]
    for spend in results:
        money = partial(_decimal, currency=spend.currency)
        for c in spend.contracts:
            yield [c.contract_id, _text(c.tender_title), money(c.funded), money(c.returned), money(c.net),
                   spend.currency]
        yield [_("Total"), "", money(spend.funded), money(spend.returned), money(spend.net), spend.currency]


@bp.get("/<month>.csv")
@role_required("provider", "brand")
def download(month: str):
    tz = select_timezone()
    which = _month(month, tz)
    found = _statement_of(which, tz)
    rows = _provider_rows(found["provider"], tz) if "provider" in found else _brand_rows(found["brand"])
    body = csv_export.render(rows)  # the BOM makes Excel read UTF-8 (Chinese titles), every cell inert
    name = f"witkey-{'statement' if current_user.is_provider else 'spend'}-{which}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- PDF -----------------------------------------------------------------------------------------------

def _invoice_rows(found, tz):
    yield [_("Date (%(zone)s)", zone=tz), _("Invoice number"), _("Contract"), _("Issued to"), _("Amount"), _("Tax"),
           _("Currency")]
    for i in found:
        yield [_local(i.created_at, tz), i.number, f"#{i.contract_id}", i.title, _decimal(i.amount, i.currency),
               _decimal(i.tax_amount, i.currency), i.currency]


@bp.get("/<month>.pdf")
@role_required("provider", "brand")
def download_pdf(month: str):
    """The same rows as the CSV, as a PDF (made on request: about a second, for a document asked for
    rarely and on purpose, so not worth a job and a wait)."""
    tz = select_timezone()
    which = _month(month, tz)
    found = _statement_of(which, tz)
    provider = "provider" in found
    title = (_("Statement %(month)s", month=month_label(which)) if provider
             else _("Spend %(month)s", month=month_label(which)))
    doc = pdf.Document(title, landscape=provider)
    doc.field(_("Account"), current_user.display_name)
    head, *rows = _provider_rows(found["provider"], tz) if provider else _brand_rows(found["brand"])
    doc.table([str(h) for h in head], [[str(c) for c in row] for row in rows],
              widths=(14, 12, 26, 24, 11, 11, 11, 11, 7, 20) if provider else (8, 40, 15, 15, 15, 7),
              right=(4, 5, 6, 7) if provider else (2, 3, 4))
    if found["invoices"]:
        doc.heading(_("Invoices"))
        head, *rows = _invoice_rows(found["invoices"], tz)
        doc.table(head, rows, widths=(18, 18, 8, 30, 14, 12, 8), right=(4, 5))
    name = f"witkey-{'statement' if provider else 'spend'}-{which}.pdf"
    return Response(doc.output(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})
