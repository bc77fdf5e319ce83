"""Addenda: published changes to an open tender. Bidders are told, and a change that lands within
48 hours of the deadline moves the deadline out to at least 48 hours from now. Before anyone has bid,
the description can simply be corrected instead (`correct`)."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from extensions import db
from i18n import duration
from models import Bid, Tender, TenderAddendum, User
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, notifications, webhooks
from services.errors import Conflict, check
from services.tenders import MAX_LEAD, owned_tender

NOTICE = timedelta(hours=48)


def publish(brand: User, tender_id: int, body: str, new_deadline: datetime | None = None) -> TenderAddendum:
    tender = owned_tender(brand, tender_id)
    if tender.status != TenderStatus.OPEN:
        raise Conflict(_l("Addenda can be published while bidding is open."), code="tender_not_open")
    body = (body or "").strip()
    now = utcnow()
    check({
        "body": not 10 <= len(body) <= 20000 and _l("Describe the change in 10 to 20000 characters."),
        "bid_deadline": new_deadline is not None and not (tender.bid_deadline <= new_deadline <= now + MAX_LEAD)
        and _l("An addendum can only move the deadline later (at most %(latest)s from now).",
               latest=duration(MAX_LEAD)),
    })
    before = tender.bid_deadline
    after = max(new_deadline or before, before)
    if after - now < NOTICE:  # bidders get at least 48 hours to respond to a late change
        after = now + NOTICE
    tender.bid_deadline = after
    addendum = TenderAddendum(body=body, deadline_before=before, deadline_after=after)
    tender.addenda.append(addendum)
    audience = {bid.provider_id for bid in tender.bids if bid.live} | {i.provider_id for i in tender.invitations}
    notifications.notify(audience, "addendum_published", to=destinations.tender(tender.id, "addenda"),
                         tender=tender.title, deadline=after.isoformat())
    db.session.flush()
    webhooks.emit("addendum.published", f"tender:{tender.id}",
                  {"addendum": {"id": addendum.id, "tender_id": tender.id, "bid_deadline": after.isoformat()}},
                  **webhooks.tender_audience(tender))
    return addendum


def correct(brand: User, tender_id: int, description: str) -> Tender:
    """Correct a published tender's description in place, while nobody has bid on it yet (a provider who
    only read it has committed nothing). Once a bid exists, a change is an addendum: published, dated,
    and told to every bidder. The tender row is locked (owned_tender), and a bid locks it too
    (services.bidding.submit_bid), so a bid cannot slip in between the check and the change."""
    tender = owned_tender(brand, tender_id)
    if tender.status != TenderStatus.OPEN:
        raise Conflict(_l("A tender can be corrected while bidding is open."), code="tender_not_open")
    if db.session.scalar(select(exists().where(Bid.tender_id == tender.id))):
        raise Conflict(_l("Providers have bid on this tender: publish an addendum instead, so that every bidder "
                          "is told."), code="tender_has_bids")
    description = (description or "").strip()
    check({"description": not 10 <= len(description) <= 20000
           and _l("Describe the work in 10 to 20000 characters.")})
    tender.description = description
    db.session.flush()
    return tender
