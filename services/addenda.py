"""Addenda: published changes to an open tender. Bidders are told, and a change that lands within
48 hours of the deadline moves the deadline out to at least 48 hours from now."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from i18n import duration
from models import TenderAddendum, User
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
