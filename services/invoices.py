"""Invoice records (issue 18): for each release (a milestone or period paid out, or a dispute decided
with money to the provider) the provider records the invoice it issued to the brand, and the platform
records its own invoice to the provider for the commission it took on that release.

A record carries the recipient's invoice title and tax id as they were when issued, the amount (tax
included), a tax rate from INVOICE_TAX_RATES and the tax in it, and the issuer's invoice number
(unique per provider). The provider may attach the official 发票 as a PDF: kept only if it is one.
"""
import io
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import or_, select, true
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Invoice, Milestone, User
from models.contract import FINISHED
from services import contracts, escrow, platform_invoices, storage
from services.errors import Conflict, Forbidden, Invalid, NotFound, check
from services.platform_invoices import PLATFORM, existing, tax_in, title_and_tax_id

NUMBER = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-_/]{0,39}")
PROVIDER = "provider"


def tax_rates() -> list[int]:
    return current_app.config["INVOICE_TAX_RATES"]


def invoiceable(milestone: Milestone) -> bool:
    """Released (or decided) with money to the provider."""
    return milestone.status in FINISHED and milestone.released_amount > 0


def _release(viewer: User, milestone_id: int) -> Milestone:
    milestone = escrow.milestone_for(viewer, milestone_id, lock=True)  # the lock: one issue at a time
    if not invoiceable(milestone):
        raise Conflict(_l("Only a release can be invoiced: this milestone has paid the provider nothing yet."),
                       code="not_released")
    return milestone


def _check_pdf(data: bytes) -> None:
    """The official invoice must be a PDF that opens and has a page (not a renamed image or a fragment)."""
    try:
        reader = PdfReader(io.BytesIO(data))
        ok = not reader.is_encrypted and len(reader.pages) > 0
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        ok = False
    if not ok:
        raise Invalid(fields={"file": _l(
            "The file is not a readable PDF: upload the invoice as the PDF you received.")})


def issue(provider: User, milestone_id: int, *, number: str, tax_rate_bps, stream=None,
          filename: str = "") -> Invoice:
    """`stream`: the official invoice PDF, optional (it can also be attached later)."""
    """The provider records its invoice to the brand for this release (once per release)."""
    milestone = _release(provider, milestone_id)
    contract = milestone.contract
    if provider.account_id != contract.provider_id:
        raise Forbidden(_l("Only the contract's provider issues invoices for its releases."))
    if existing(milestone.id, PROVIDER) is not None:
        raise Conflict(_l("This release is already invoiced."), code="already_invoiced")
    number = (number or "").strip()
    check({
        "number": not NUMBER.fullmatch(number)
        and _l("Enter the invoice number: up to 40 letters, digits, '-', '_' or '/'."),
        "tax_rate_bps": (not isinstance(tax_rate_bps, int) or isinstance(tax_rate_bps, bool)
                         or tax_rate_bps not in tax_rates()) and _l("Choose a tax rate from the list."),
    })
    if db.session.scalar(select(Invoice.id).where(Invoice.issuer_id == contract.provider_id,
                                                  Invoice.number == number)):
        raise Invalid(fields={"number": _l("You have already used this invoice number.")})
    title, tax_id = title_and_tax_id(contract.brand)
    invoice = _add(Invoice(kind=PROVIDER, milestone_id=milestone.id, contract_id=contract.id,
                           issuer_id=contract.provider_id, recipient_id=contract.brand_id, number=number,
                           title=title, tax_id=tax_id, amount=milestone.released_amount,
                           currency=milestone.currency, tax_rate_bps=tax_rate_bps,
                           tax_amount=tax_in(milestone.released_amount, tax_rate_bps)))
    if stream is not None:
        _store_pdf(provider, invoice, stream, filename)
    return invoice


def attach(provider: User, invoice_id: int, stream, filename: str) -> Invoice:
    """The issuer attaches the official invoice PDF to its record, once."""
    invoice = invoice_for(provider, invoice_id)
    if invoice.issuer_id != provider.account_id:
        raise NotFound()
    if invoice.stored_name:
        raise Conflict(_l("This invoice already has its PDF."), code="already_attached")
    _store_pdf(provider, invoice, stream, filename)
    return invoice


def _store_pdf(provider: User, invoice: Invoice, stream, filename: str) -> None:
    stored = storage.save(stream, filename, "invoices", provider.id)
    if stored.content_type != "application/pdf":
        raise Invalid(fields={"file": _l("The official invoice must be a PDF.")})
    _check_pdf(storage.path_of(stored.stored_name).read_bytes())
    invoice.stored_name, invoice.sha256 = stored.stored_name, stored.sha256


def _add(invoice: Invoice) -> Invoice:
    db.session.add(invoice)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a racing request took the number or the release first
        raise Conflict(_l("This release is already invoiced, or the number is taken."),
                       code="already_invoiced") from None
    return invoice


def issue_platform(staff: User, milestone_id: int) -> Invoice:
    """Staff record the platform's invoice for its commission on a release that has none (a release
    records its own since issue 18; this covers those made before)."""
    if staff is None or not staff.is_admin:
        raise NotFound()
    milestone = _release(staff, milestone_id)
    if existing(milestone.id, PLATFORM) is not None:
        raise Conflict(_l("The platform has already invoiced its commission on this release."),
                       code="already_invoiced")
    invoice = platform_invoices.record(milestone)
    if invoice is None:
        raise Conflict(_l("The platform took no commission on this release."), code="no_commission")
    return _add(invoice)


def _visible(viewer: User):
    """The invoices a viewer may read: its organisation's (issued or received); staff read all."""
    if viewer.is_admin:
        return true()
    return or_(Invoice.issuer_id == viewer.account_id, Invoice.recipient_id == viewer.account_id)


def for_contract(viewer: User | None, contract_id: int) -> list[Invoice]:
    contract = contracts.contract_for(viewer, contract_id)
    return list(db.session.scalars(select(Invoice).where(Invoice.contract_id == contract.id, _visible(viewer))
                                   .order_by(Invoice.milestone_id, Invoice.kind)))


def invoice_for(viewer: User | None, invoice_id: int) -> Invoice:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or viewer is None or not (
            viewer.is_admin or viewer.account_id in (invoice.issuer_id, invoice.recipient_id)):
        raise NotFound()
    return invoice


def file_of(viewer: User | None, invoice_id: int) -> Invoice:
    invoice = invoice_for(viewer, invoice_id)
    if not invoice.stored_name:
        raise NotFound(_l("No PDF was attached to this invoice."))
    return invoice


def in_period(user: User, start, end) -> list[Invoice]:
    """The user's invoices (issued or received) recorded in [start, end), for its monthly statement."""
    return list(db.session.scalars(
        select(Invoice).where(_visible(user), Invoice.created_at >= start, Invoice.created_at < end)
        .order_by(Invoice.created_at, Invoice.id)))
