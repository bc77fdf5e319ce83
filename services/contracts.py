"""Contracts as their parties see them: one contract (404 unless the viewer is a party or staff) and
the user's own contracts, a page at a time. A contract is made by the award (services/evaluation.py);
its money moves in services/escrow.py."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Contract, User
from models.contract import ContractStatus
from services.errors import NotFound, check
from services.pagination import Page, paginate


def contract_for(viewer: User | None, contract_id: int) -> Contract:
    contract = db.session.get(Contract, contract_id)
    if contract is None or viewer is None or not (
            viewer.is_admin or viewer.account_id in (contract.brand_id, contract.provider_id)):
        raise NotFound()
    return contract


def won_by(viewer: User | None, tender_id: int) -> Contract | None:
    """The contract the viewer's organisation won on this tender, if it did (its tender page links to it)."""
    if viewer is None or not viewer.is_provider:
        return None
    return db.session.scalar(select(Contract).where(Contract.tender_id == tender_id,
                                                    Contract.provider_id == viewer.account_id))


def contracts_of(user: User, *, status: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """The user's contracts (as provider or as brand), newest first, one page; `status` narrows them."""
    check({"status": status not in (None, "", *ContractStatus) and _l("Unknown status.")})
    column = Contract.provider_id if user.is_provider else Contract.brand_id
    stmt = select(Contract).where(column == user.account_id).options(selectinload(Contract.tender))
    if status:
        stmt = stmt.where(Contract.status == status)
    return paginate(stmt.order_by(Contract.created_at.desc(), Contract.id.desc()), page, per_page)
