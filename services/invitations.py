"""Invitations: a brand asks specific providers to bid (required on invited-only tenders)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extensions import db
from models import Tender, TenderInvitation, User
from models.tender import TenderStatus
from services import destinations, notifications
from services.errors import Conflict, check
from services.tenders import owned_tender

MAX_PER_CALL = 50


def invite(brand: User, tender_id: int, provider_ids: list[int]) -> list[TenderInvitation]:
    """Invite providers; already-invited ones are skipped, so repeating the call is harmless."""
    tender = owned_tender(brand, tender_id, "tender.invite")
    if tender.status != TenderStatus.OPEN:
        raise Conflict(_l("Providers can be invited while bidding is open."), code="tender_not_open")
    wanted = sorted(set(provider_ids or []))
    found = db.session.scalars(select(User).where(User.id.in_(wanted), User.role == "provider")).all()
    check({"provider_ids": (not 1 <= len(wanted) <= MAX_PER_CALL or {u.id for u in found} != set(wanted))
           and _l("Choose 1 to %(n)s existing providers.", n=MAX_PER_CALL)})
    wanted = sorted({u.account_id for u in found})  # a member stands for its organisation
    already = {inv.provider_id for inv in tender.invitations}
    created = [TenderInvitation(provider_id=pid) for pid in wanted if pid not in already]
    tender.invitations.extend(created)
    db.session.flush()
    notifications.notify([inv.provider_id for inv in created], "invited", to=destinations.tender(tender.id),
                         tender=tender.title)
    return created


def invitations_of(provider: User) -> list[TenderInvitation]:
    """Invitations to tenders still open for bids, newest first."""
    return list(db.session.scalars(
        select(TenderInvitation).join(Tender).where(TenderInvitation.provider_id == provider.account_id,
                                                    Tender.status == TenderStatus.OPEN)
        .options(selectinload(TenderInvitation.tender)).order_by(TenderInvitation.created_at.desc())))
