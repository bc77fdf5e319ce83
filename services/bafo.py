"""Best and final offers (issue 15 item 5): the owner or procurement reopens shortlisted bids with a new
close date; each invited provider may lower its price and change its plan until then; the award uses
the final offer (it replaces the bid's amount and plan, as a new revision, so `evaluation.award` needs
nothing special), and the board shows first and final offers side by side.

Rules a serious buyer expects, decided here:
- Only a shortlisted bid is reopened: live, in the tender's last round, and on a two-envelope tender
  passed on its technical envelope after the price opening (a BAFO is about prices that are known).
- A final offer never exceeds the offer the bid was invited with: "best" means no worse. Within the
  window it may be changed again (a typo can be fixed) under the same ceiling.
- Final offers stay sealed from the brand (and staff) until the round closes (`bidding.can_see_price`),
  so no provider's final offer can be shopped to another; no award while a round is open.
- One round at a time; another may follow once it closes (the first offer shown stays the original)."""
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from i18n import duration, money
from models import BafoRound, Bid, Tender, User
from models.envelope import TechnicalResult
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, notifications, permissions, webhooks
from services.bidding import BidInput, apply_offer, own_bid, snapshot, validate_offer
from services.errors import Conflict, Invalid, check
from services.locking import locked_get
from services.tenders import owned_tender

MIN_WINDOW = timedelta(hours=1)
MAX_WINDOW = timedelta(days=60)
MAX_BIDS = 50


def shortlisted(bid: Bid) -> bool:
    """Whether the bid may be reopened for a final offer now."""
    tender = bid.tender
    if not bid.live or tender.status != TenderStatus.EVALUATING:
        return False
    if tender.two_envelope:
        return tender.envelopes.price_open and bid.technical_result == TechnicalResult.PASSED
    return bid.round_index == tender.last_round


def open_round(actor: User, tender_id: int, bid_ids: list[int], closes_at: datetime) -> BafoRound:
    tender = owned_tender(actor, tender_id, "tender.shortlist")
    now = utcnow()
    ids = list(dict.fromkeys(bid_ids or []))
    check({
        "bid_ids": not 1 <= len(ids) <= MAX_BIDS and _l("Choose 1 to %(n)s bids.", n=MAX_BIDS),
        "closes_at": not (closes_at is not None and now + MIN_WINDOW <= closes_at <= now + MAX_WINDOW)
        and _l("Choose a close between %(soonest)s and %(latest)s from now.", soonest=duration(MIN_WINDOW),
               latest=duration(MAX_WINDOW)),
    })
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict(_l("Final offers are asked for while the tender is being evaluated."), code="illegal_transition")
    if tender.open_bafo is not None:
        raise Conflict(_l("A best-and-final-offer round is already open."), code="bafo_open")
    bids = [locked_get(Bid, i) for i in sorted(ids)]
    if any(b is None or b.tender_id != tender.id for b in bids):
        raise Invalid(fields={"bid_ids": _l("Choose bids of this tender.")})
    refused = [b.id for b in bids if not shortlisted(b)]
    if refused:
        raise Conflict(_l("Only shortlisted bids can be asked for a final offer; not: %(ids)s.",
                          ids=", ".join(f"#{i}" for i in refused)), code="not_shortlisted")
    round_ = BafoRound(tender_id=tender.id, opened_by_id=actor.id, closes_at=closes_at)
    db.session.add(round_)
    db.session.flush()
    for bid in bids:
        bid.bafo_round = round_
        bid.final_offer_at = None
        if bid.first_offer_revision is None:
            bid.first_offer_revision = bid.revision
    notifications.notify([b.provider_id for b in bids], "bafo_invited", to=destinations.tender(tender.id),
                         tender=tender.title, closes_at=closes_at.isoformat())
    webhooks.tender_event("tender.bafo_opened", tender)
    return round_


def may_open(actor: User | None, tender: Tender) -> bool:
    """Whether the board offers `actor` a new round (the service checks again)."""
    return actor is not None and actor.account_id == tender.brand_id \
        and permissions.allowed(actor, "tender.shortlist", tender) \
        and tender.status == TenderStatus.EVALUATING and tender.open_bafo is None


def ceiling(bid: Bid) -> int:
    """The most a final offer may ask: the offer in force when the bid's round opened."""
    opened = bid.bafo_round.created_at
    before = [r for r in bid.revisions if r.created_at <= opened]
    return (max(before, key=lambda r: r.number) if before else bid.revisions[0]).amount


def may_offer(bid: Bid) -> bool:
    return bid.live and bid.bafo_round is not None and bid.bafo_round.open \
        and bid.tender.status == TenderStatus.EVALUATING


def submit_final_offer(provider: User, bid_id: int, data: BidInput) -> Bid:
    bid = own_bid(provider, bid_id, lock=True)
    if not may_offer(bid):
        raise Conflict(_l("This bid is not invited to a final offer now."), code="no_bafo")
    validate_offer(bid.tender, data)
    limit = ceiling(bid)
    if data.amount > limit:
        raise Invalid(fields={"amount": _l("A final offer cannot ask more than your offer when the round opened "
                                           "(%(amount)s).", amount=money(limit, bid.currency))})
    # A metered bid's `amount` is its cap; its price is the unit price, which revisions do not keep: it
    # may only go down from the offer in force now (itself never above the one when the round opened).
    if bid.unit_price is not None and (data.unit_price or 0) > bid.unit_price:
        raise Invalid(fields={"unit_price": _l("A final offer cannot raise the unit price (%(amount)s).",
                                               amount=money(bid.unit_price, bid.currency))})
    apply_offer(bid, data)
    bid.revision += 1
    bid.final_offer_at = utcnow()
    db.session.flush()
    bid.revisions.append(snapshot(bid))
    tender: Tender = bid.tender
    notifications.notify([tender.brand_id], "final_offer_received", to=destinations.evaluation(tender.id),
                         tender=tender.title)
    webhooks.bid_event("bid.final_offer_submitted", bid)
    return bid
