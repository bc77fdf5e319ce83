"""The platform's own invoice record for the commission it took on a release (issue 18), written in the
release's (or the dispute decision's) transaction, so every release with a commission has one.

Apart from services/invoices.py because the release itself (services/escrow.py, services/disputes.py)
records it, and invoices.py reads milestones through escrow. Its number is made from the release, so
it is unique without a counter; the recipient's title and tax id are the provider's as they are now."""
from flask import current_app
from sqlalchemy import func, select

from extensions import db
from models import Invoice, LedgerAccount, LedgerEntry, LedgerPosting, Milestone, User

PLATFORM = "platform"


def number_for(milestone: Milestone) -> str:
    return f"WK-{milestone.id:08d}"


def tax_in(amount: int, rate_bps: int) -> int:
    """The tax contained in a tax-included amount, to the fen (half up)."""
    return (amount * rate_bps * 2 + 10000 + rate_bps) // (2 * (10000 + rate_bps))


def title_and_tax_id(user: User) -> tuple[str, str]:
    """What an invoice to this account carries: a brand's invoice details from its profile, a
    provider's company name and credit code."""
    if user.is_brand and user.brand_profile:
        profile = user.brand_profile
        return (profile.invoice_title or profile.store_name or user.display_name,
                profile.tax_id or profile.registration_number or "")
    profile = user.provider_profile
    if profile:
        return profile.company_name or user.display_name, profile.registration_number or ""
    return user.display_name, ""


def commission_on(milestone: Milestone) -> int:
    """What the platform took on this milestone: its revenue entries, net of any given back."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .join(LedgerPosting, LedgerPosting.id == LedgerEntry.posting_id)
        .where(LedgerPosting.milestone_id == milestone.id, LedgerAccount.kind == "platform_revenue")))


def existing(milestone_id: int, kind: str) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.milestone_id == milestone_id, Invoice.kind == kind))


def record(milestone: Milestone) -> Invoice | None:
    """The platform's invoice to the provider for its commission on this release; None when it took
    none or the record exists already."""
    commission = commission_on(milestone)
    if commission <= 0 or existing(milestone.id, PLATFORM) is not None:
        return None
    contract = milestone.contract
    title, tax_id = title_and_tax_id(contract.provider)
    rate = current_app.config["PLATFORM_INVOICE_TAX_RATE"]
    invoice = Invoice(kind=PLATFORM, milestone_id=milestone.id, contract_id=contract.id, issuer_id=None,
                      recipient_id=contract.provider_id, number=number_for(milestone), title=title, tax_id=tax_id,
                      amount=commission, currency=milestone.currency, tax_rate_bps=rate,
                      tax_amount=tax_in(commission, rate))
    db.session.add(invoice)
    return invoice
