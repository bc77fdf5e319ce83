"""A month's statement as rows: the CSV the statements page offers and GET /api/v1/me/statements/<month>.csv
send the same file, and the PDF the same rows (a helper both the web and the API use; the figures
come from services.statements)."""
from functools import partial

from flask import Response
from flask_babel import gettext as _

from i18n import labels, major_units, money
from services import csv_export, invoices, statements
from services.statements import Month

KIND_LABELS = labels.POSTING_LABELS  # a kind without a label shows as its code rather than failing


def describe(line) -> str:
    """The milestone, and the memo when it says more (a correction's reason, a payout's note)."""
    parts = [line.milestone_title, line.memo if line.memo != line.milestone_title else None,
             _("KPI bonus %(amount)s", amount=money(line.bonus, line.currency)) if line.bonus else None,
             _("KPI penalty %(amount)s", amount=money(line.penalty, line.currency)) if line.penalty else None]
    return " · ".join(part for part in parts if part)


def sentence(line) -> str:
    """What the line is, in words: "Milestone 2 of “Spring tea shoot” released"."""
    return labels.statement_sentence(line.kind, line.milestone_number, line.tender_title, line.engagement)


def figures_of(user, month: Month, tz: str) -> dict:
    """The month's statement by the user's role (nothing in the request picks it): {"provider": …} with
    the earnings per currency, or {"brand": …} with the spend per currency."""
    if user.is_provider:
        return {"provider": statements.provider_statement(user, month.year, month.month, tz)}
    return {"brand": statements.brand_spend(user, month.year, month.month, tz)}


def statement_of(user, month: Month, tz: str) -> dict:
    """The page's statement: the figures and the invoice records issued or received in the month."""
    return {"invoices": invoices.in_period(user, *month.bounds(tz)), **figures_of(user, month, tz)}


def local(moment, tz: str) -> str:
    return moment.astimezone(statements.zone(tz)).strftime("%Y-%m-%d %H:%M:%S")


def decimal(amount: int, currency: str) -> str:
    return format(major_units(amount, currency), "f")


def _text(value) -> str:
    """A text cell that a spreadsheet will not run as a formula (titles and memos are user input)."""
    return csv_export.text(value)


def provider_rows(results, tz):
    yield [_("Date (%(zone)s)", zone=tz), _("Type"), _("Contract"), _("Description"), _("Gross"), _("Commission"),
           _("Net"), _("Balance"), _("Currency"), _("Voucher no.")]
    for s in results:
        amount = partial(decimal, currency=s.currency)
        yield [local(s.month.start(tz), tz), _("Opening balance"), "", "", "", "", "", amount(s.opening),
               s.currency, ""]
        for line in s.lines:
            yield [local(line.posted_at, tz), str(KIND_LABELS.get(line.kind, line.kind)),
                   _text(f"#{line.contract_id} {line.tender_title}" if line.contract_id else ""), _text(describe(line)),
                   amount(line.gross), amount(line.commission), amount(line.net), amount(line.balance), s.currency,
                   _text(line.key)]
        yield ["", _("Closing balance"), "", "", "", "", "", amount(s.closing), s.currency, ""]


def brand_rows(results):
    yield [_("Contract"), _("Tender"), _("Funded into escrow"), _("Returned to you"), _("Net spend"), _("Currency")]
    for spend in results:
        amount = partial(decimal, currency=spend.currency)
        for c in spend.contracts:
            yield [c.contract_id, _text(c.tender_title), amount(c.funded), amount(c.returned), amount(c.net),
                   spend.currency]
        yield [_("Total"), "", amount(spend.funded), amount(spend.returned), amount(spend.net), spend.currency]


def csv_download(user, month: Month, tz: str) -> Response:
    """The month as a CSV attachment (the BOM makes Excel read UTF-8 Chinese titles; every cell inert)."""
    found = figures_of(user, month, tz)  # the file has no invoice records
    rows = provider_rows(found["provider"], tz) if "provider" in found else brand_rows(found["brand"])
    name = f"witkey-{'statement' if user.is_provider else 'spend'}-{month}.csv"
    return Response(csv_export.render(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "private, no-store"})
