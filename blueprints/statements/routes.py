"""Monthly statements: a provider's earnings and payouts, a brand's spend by contract.

The statement shown follows from the user's role (nothing in the request picks it), so a provider
never sees a brand view or the reverse; staff have neither. Months are in the user's time zone.
"""
from datetime import date

from babel.dates import format_skeleton
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.statement_rows import (
    brand_rows,
    csv_download,
    decimal,
    describe,
    local,
    provider_rows,
    sentence,
    statement_of,
)
from blueprints.web import role_required
from i18n import select_timezone
from models.types import utcnow
from services import pdf, statements
from services.statements import YEARS, Month

bp = Blueprint("statements", __name__, url_prefix="/statements")

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
        total_rows=TOTAL_ROWS, month_label=month_label, describe=describe, sentence=sentence,
        issued_at=utcnow(),
        **statement_of(current_user, month, tz))


# --- CSV -----------------------------------------------------------------------------------------------

@bp.get("/<month>.csv")
@role_required("provider", "brand")
def download(month: str):
    tz = select_timezone()
    return csv_download(current_user, _month(month, tz), tz)


# --- PDF -----------------------------------------------------------------------------------------------

def _invoice_rows(found, tz):
    yield [_("Date (%(zone)s)", zone=tz), _("Invoice number"), _("Contract"), _("Issued to"), _("Amount"), _("Tax"),
           _("Currency")]
    for i in found:
        yield [local(i.created_at, tz), i.number, f"#{i.contract_id}", i.title, decimal(i.amount, i.currency),
               decimal(i.tax_amount, i.currency), i.currency]


@bp.get("/<month>.pdf")
@role_required("provider", "brand")
def download_pdf(month: str):
    """The same rows as the CSV, as a PDF (made on request: about a second, for a document asked for
    rarely and on purpose, so not worth a job and a wait)."""
    tz = select_timezone()
    which = _month(month, tz)
    found = statement_of(current_user, which, tz)
    provider = "provider" in found
    title = (_("Statement %(month)s", month=month_label(which)) if provider
             else _("Spend %(month)s", month=month_label(which)))
    doc = pdf.Document(title, landscape=provider)
    doc.field(_("Account"), current_user.display_name)
    head, *rows = provider_rows(found["provider"], tz) if provider else brand_rows(found["brand"])
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
