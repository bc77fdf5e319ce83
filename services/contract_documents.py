"""The contract document (issue 18): on award, a PDF of what both parties agreed — the parties, the
scope, the milestones or periods, the KPI terms, the payment and dispute rules and when each party
accepted — is made once and kept with its SHA-256.

It is made by a job (services/runners/documents.py) queued in the award's transaction
(services/tasks.after_commit): loading the CJK
font alone takes about a second, which an award request should not wait for, and the outbox makes
sure the job runs even if Redis was down at the commit. It goes on the `documents` queue: a burst of
awards renders for minutes, and a settlement batch on `default` must not wait behind it. A job
delivered twice finds the row and stops.
"""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from extensions import db
from i18n import datetime_local, money, number, percent
from i18n.labels import ENGAGEMENT_LABELS
from models import ContestPurchase, Contract, ContractDocument, User
from services import contracts, pdf, tasks
from services.errors import NotFound

FOLDER = "contracts"


def queue(contract: Contract) -> None:
    """Called in the award's transaction: make the document once the contract is committed."""
    tasks.after_commit("make_contract_document", contract.id, queue_name="documents")


def of(contract: Contract) -> ContractDocument | None:
    """The document once made (the contract page links it), for a contract the viewer may see."""
    return db.session.scalar(db.select(ContractDocument).where(ContractDocument.contract_id == contract.id))


def document_for(viewer: User | None, contract_id: int) -> ContractDocument:
    """The contract's document for its brand, its provider and staff (404 for anyone else, and
    until the job has made it)."""
    document = of(contracts.contract_for(viewer, contract_id))
    if document is None:
        raise NotFound(_l("The contract document is still being prepared; try again in a minute."))
    return document


def _party(user: User) -> str:
    """The party as it contracts: its company (or store) name, its registration number if it has one."""
    profile = user.provider_profile if user.is_provider else user.brand_profile
    company = (getattr(profile, "company_name", "") or getattr(profile, "store_name", "")) if profile else ""
    number_ = getattr(profile, "registration_number", None) if profile else None
    name = f"{user.display_name}（{company}）" if company and company != user.display_name else user.display_name
    return f"{name}  {_('Unified social credit code')}: {number_}" if number_ else name


def _purchase_of(contract: Contract) -> ContestPurchase | None:
    if contract.contest_entry_id is None:
        return None
    return db.session.scalar(db.select(ContestPurchase).where(ContestPurchase.contract_id == contract.id))


def _provider_accepted_at(contract: Contract):
    """When the provider last committed to these terms: its latest revision or final offer."""
    bid = contract.bid
    times = [bid.created_at, bid.final_offer_at, *(r.created_at for r in bid.revisions)]
    return max(t for t in times if t is not None)


def render(contract: Contract) -> bytes:
    tender, purchase = contract.tender, _purchase_of(contract)
    doc = pdf.Document(_("Service contract No. %(id)s", id=contract.id), subject=contract.title)
    doc.heading(_("Parties"))
    doc.field(_("Brand (client)"), _party(contract.brand))
    doc.field(_("Provider"), _party(contract.provider))
    doc.heading(_("Scope"))
    if tender is not None:
        doc.field(_("Tender"), tender.title)
    else:
        doc.field(_("Contest entry bought"), _("“%(title)s”, entry %(n)s", title=contract.title,
                                               n=contract.contest_entry_id))
    doc.field(_("Engagement"), str(ENGAGEMENT_LABELS.get(contract.engagement, contract.engagement)))
    doc.field(_("Contract value"), money(contract.amount, contract.currency))
    doc.paragraph(tender.description[:4000] if tender is not None else contract.contest_entry.contest.brief[:4000])
    if contract.engagement == "fixed":
        doc.heading(_("Milestones"))
        doc.table([_("No."), _("Milestone"), _("Amount"), _("Due")],
                  [[str(m.position + 1), m.title, money(m.base_amount or m.amount, m.currency),
                    datetime_local(m.due_at)] for m in contract.milestones],
                  widths=(8, 50, 22, 30), right=(2,))
    else:
        doc.heading(_("Periods"))
        doc.table([_("No."), _("Period"), _("Starts"), _("Fee or cap")],
                  [[str((m.period_index or 0) + 1), m.title, datetime_local(m.starts_at),
                    money(m.base_amount or m.amount, m.currency)] for m in contract.milestones],
                  widths=(8, 50, 30, 22), right=(3,))
    if contract.kpis:
        doc.heading(_("KPI terms"))
        doc.table([_("KPI"), _("Target"), _("Bonus when met"), _("Penalty when missed")],
                  [[k.name, f"{'≤' if k.direction == 'at_most' else '≥'} {number(k.target)} {k.unit}".strip(),
                    percent(k.bonus_bps / 100), percent(k.penalty_bps / 100)] for k in contract.kpis],
                  widths=(40, 30, 25, 25))
    config = current_app.config
    doc.heading(_("Payment"))
    doc.paragraph(_(
        "The brand funds each milestone or period into the platform's escrow before the work on it starts. "
        "The money is released to the provider when the brand accepts the delivery, or automatically "
        "%(days)s days after delivery if the brand neither accepts nor asks for changes. The platform's "
        "commission of %(commission)s is taken from each release.",
        days=config["AUTO_RELEASE_DAYS"], commission=percent(config["COMMISSION_BPS"] / 100)))
    doc.heading(_("Disputes"))
    doc.paragraph(_(
        "Either party may open a dispute on a funded milestone before it is released; its money stays in "
        "escrow until platform staff decide, on the evidence both parties submit, how it is divided."))
    doc.heading(_("Acceptance"))
    if purchase is not None:
        doc.field(_("Brand offered to buy the entry"), datetime_local(purchase.created_at, "full"))
        doc.field(_("Provider accepted the offer"), datetime_local(purchase.decided_at, "full"))
    else:
        doc.field(_("Provider accepted the terms of its bid"), datetime_local(_provider_accepted_at(contract), "full"))
        doc.field(_("Brand awarded the contract"), datetime_local(contract.created_at, "full"))
    return doc.output()
