"""Two-envelope opening (issue 15 item 4): technical envelopes open first, the owner or procurement passes
or fails each bid on them, then the price envelopes open. Each opening is a recorded event (when, who),
told to every bidder; an opened envelope cannot be resealed (models.envelope.TRANSITIONS only move on).

Who sees a price is decided in one place, `services.bidding.can_see_price`."""
from flask_babel import lazy_gettext as _l

from extensions import db
from models import Bid, TenderEnvelopes, User
from models.bid import BidStatus
from models.envelope import EnvelopeStage, TechnicalResult
from models.status import IllegalTransition, transition
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, notifications, permissions, webhooks
from services.bidding import decide_bid
from services.errors import Conflict, NotFound, check
from services.locking import locked_get
from services.tenders import get_tender, owned_tender


def _envelopes(actor: User, tender_id: int):
    tender = owned_tender(actor, tender_id, "tender.shortlist")
    if not tender.two_envelope:
        raise Conflict(_l("This tender does not use two envelopes."), code="not_two_envelope")
    return tender, locked_get(TenderEnvelopes, tender.id)


def _advance(envelopes: TenderEnvelopes, stage: EnvelopeStage) -> None:
    try:
        transition(envelopes, stage)
    except IllegalTransition:
        raise Conflict(_l("These envelopes are already open; an opened envelope cannot be resealed."),
                       code="already_opened") from None


def _bidders(tender) -> list[int]:
    return sorted({b.provider_id for b in tender.bids if b.status != BidStatus.WITHDRAWN})


def open_technical(actor: User, tender_id: int) -> TenderEnvelopes:
    """After bidding closes: the technical envelopes open to the brand (panel rules still apply)."""
    tender, envelopes = _envelopes(actor, tender_id)
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict(_l("Envelopes open once bidding has closed and before the award."), code="illegal_transition")
    _advance(envelopes, EnvelopeStage.TECHNICAL)
    envelopes.technical_opened_at, envelopes.technical_opened_by_id = utcnow(), actor.id
    notifications.notify(_bidders(tender), "technical_opened", to=destinations.tender(tender.id),
                         tender=tender.title, at=envelopes.technical_opened_at.isoformat())
    webhooks.tender_event("tender.technical_opened", tender)
    return envelopes


def judge(actor: User, bid_id: int, passed: bool, reason: str = "") -> Bid:
    """Pass or fail one bid on its technical envelope, once. A failed bid is out of the running (its
    provider is told why); only passed bids' prices matter after the price opening."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or actor is None or actor.account_id != bid.tender.brand_id:
        raise NotFound()
    tender, envelopes = _envelopes(actor, bid.tender_id)
    bid = locked_get(Bid, bid_id)
    if envelopes.status != EnvelopeStage.TECHNICAL:
        raise Conflict(_l("Bids are passed or failed while only the technical envelopes are open."),
                       code="not_technical_stage")
    if not bid.live or bid.technical_result is not None:
        raise Conflict(_l("This bid has already been judged on its technical envelope."), code="already_judged")
    reason = (reason or "").strip()
    check({"reason": (not passed and not 3 <= len(reason) <= 2000 or len(reason) > 2000)
           and _l("Give the provider a reason (3 to 2000 characters).")})
    bid.technical_result = (TechnicalResult.PASSED if passed else TechnicalResult.FAILED).value
    bid.technical_decided_at, bid.technical_decided_by_id = utcnow(), actor.id
    if not passed:
        decide_bid(bid, BidStatus.REJECTED, reason)
        notifications.notify([bid.provider_id], "bid_rejected", to=destinations.tender(tender.id),
                             tender=tender.title, reason=reason)
        webhooks.bid_event("bid.rejected", bid)
    return bid


def open_prices(actor: User, tender_id: int) -> TenderEnvelopes:
    """Once every bid still in the running has passed: the price envelopes open, to everyone allowed."""
    tender, envelopes = _envelopes(actor, tender_id)
    if envelopes.status == EnvelopeStage.SEALED:
        raise Conflict(_l("Open the technical envelopes first."), code="technical_sealed")
    live = [b for b in tender.bids if b.live]
    if envelopes.status == EnvelopeStage.TECHNICAL:
        if any(b.technical_result is None for b in live):
            raise Conflict(_l("Pass or fail every bid on its technical envelope first."), code="technical_pending")
        if not live:
            raise Conflict(_l("No bid passed the technical stage."), code="no_bid_passed")
    _advance(envelopes, EnvelopeStage.PRICE)
    envelopes.price_opened_at, envelopes.price_opened_by_id = utcnow(), actor.id
    notifications.notify(_bidders(tender), "prices_opened", to=destinations.tender(tender.id),
                         tender=tender.title, at=envelopes.price_opened_at.isoformat())
    webhooks.tender_event("tender.prices_opened", tender)
    return envelopes


def envelopes_of(viewer: User | None, tender_id: int) -> TenderEnvelopes:
    """The opening record, public like the tender itself (bidders see when each stage opened)."""
    tender = get_tender(tender_id, viewer=viewer)
    if not tender.two_envelope:
        raise NotFound(_l("This tender does not use two envelopes."))
    return tender.envelopes


def allowed_actions(tender, actor: User | None) -> frozenset[str]:
    """What the board offers `actor` now (the services check each again): "open_technical" once bidding
    has closed, then "judge" (each bid) and "open_prices"."""
    if not tender.two_envelope or actor is None or actor.account_id != tender.brand_id \
            or not permissions.allowed(actor, "tender.shortlist", tender) or tender.status != TenderStatus.EVALUATING:
        return frozenset()
    return {EnvelopeStage.SEALED: frozenset({"open_technical"}),
            EnvelopeStage.TECHNICAL: frozenset({"judge", "open_prices"})}.get(tender.envelopes.status, frozenset())
