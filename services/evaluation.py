"""The brand's side of bids: score in rounds, advance, reject, schedule pitches and visits, award.

Award is the one move that must happen exactly once per tender: the tender row is locked, and the
unique `contracts.tender_id` refuses a second contract even where locks do not exist (SQLite)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from extensions import db
from i18n import duration
from models import Bid, BidScore, Contract, EvaluationSlot, Milestone, Tender, User
from models.bid import OUT_OF_RUNNING, BidStatus
from models.contract import ContractStatus, MilestoneStatus
from models.engagement import PERIODIC
from models.tender import UNDECIDED, TenderStatus
from models.types import utcnow
from services import contract_documents, destinations, engagements, notifications, period_money, permissions, webhooks
from services.accounts import require_verified_email
from services.bidding import bids_for, can_see_price, decide_bid
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.tenders import get_tender, move, owned_tender

SLOT_ROUNDS = ("pitch", "site_visit")
SLOT_HORIZON = timedelta(days=730)  # how far ahead an appointment may be booked
SLOT_MINUTES = (15, 8 * 60)  # an appointment's shortest and longest duration


def _brand_bid(actor: User, bid_id: int) -> Bid:
    """A bid the acting brand member may shortlist (score, advance, reject, book), with its tender row
    locked."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or actor is None:
        raise NotFound()
    if actor.account_id == bid.provider_id:
        raise Forbidden(_l("Only the tender's brand can evaluate bids."))
    if actor.account_id != bid.tender.brand_id:
        raise NotFound()  # another provider's or brand's bid: not even its existence is shown
    permissions.require(actor, "tender.shortlist", bid.tender)
    get_tender(bid.tender_id, lock=True, viewer=actor)
    db.session.refresh(bid)
    return bid


def _require_live(bid: Bid) -> None:
    if not bid.live:
        raise Conflict(_l("This bid is no longer in the running."), code="illegal_transition")


def under_evaluation(bid: Bid) -> bool:
    """Whether the brand can score, advance, reject or book the bid now: in the running, and its
    tender past bidding and not yet awarded."""
    return bid.live and bid.tender.status == TenderStatus.EVALUATING


def _require_evaluating(tender: Tender) -> None:
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict(_l("Bids are evaluated once bidding has closed and before the award."),
                       code="illegal_transition")
    if tender.technical_sealed:
        raise Conflict(_l("Open the technical envelopes first."), code="technical_sealed")


def _score_error(score):
    return score is not None and not 0 <= score <= 100 and _l("Score from 0 to 100.")


def record_score(actor: User, bid_id: int, score: int | None, note: str = "") -> BidScore:
    """Score the bid (0–100) with a note for the round it is in; a second call replaces the first."""
    bid = _brand_bid(actor, bid_id)
    _require_live(bid)
    _require_evaluating(bid.tender)
    check({"score": _score_error(score), "note": len(note or "") > 5000 and _l("At most 5000 characters.")})
    return _upsert_score(bid, score, note)


def _upsert_score(bid: Bid, score: int | None, note: str) -> BidScore:
    row = bid.score_in(bid.round_index)
    if row is None:
        row = BidScore(round_index=bid.round_index)
        bid.scores.append(row)
    row.score, row.note = score, (note or "").strip()
    return row


def advance_bid(actor: User, bid_id: int, score: int | None = None, note: str | None = None) -> Bid:
    """Move the bid into the tender's next round, scoring the round it leaves when given."""
    bid = _brand_bid(actor, bid_id)
    _require_live(bid)
    tender = bid.tender
    _require_evaluating(tender)
    if bid.round_index >= tender.last_round:
        raise Conflict(_l("This bid is in the last round: award it or reject it."), code="last_round")
    check({"score": _score_error(score), "note": len(note or "") > 5000 and _l("At most 5000 characters.")})
    if score is not None or note:
        _upsert_score(bid, score, note or "")
    bid.round_index += 1
    tender.current_round = max(tender.current_round or 0, bid.round_index)
    notifications.notify([bid.provider_id], "bid_advanced", to=destinations.tender(tender.id), tender=tender.title,
                         round=tender.rounds[bid.round_index])
    webhooks.bid_event("bid.advanced", bid)
    return bid


def reject_bid(actor: User, bid_id: int, reason: str) -> Bid:
    bid = _brand_bid(actor, bid_id)
    _require_live(bid)
    tender = bid.tender
    if tender.status not in UNDECIDED or tender.bids_are_hidden_from_brand or tender.technical_sealed:
        raise Conflict(_l("Bids can be rejected while the tender is being evaluated."), code="illegal_transition")
    reason = (reason or "").strip()
    check({"reason": not 3 <= len(reason) <= 2000 and _l("Give the provider a reason (3 to 2000 characters).")})
    decide_bid(bid, BidStatus.REJECTED, reason)
    notifications.notify([bid.provider_id], "bid_rejected", to=destinations.tender(tender.id), tender=tender.title,
                         reason=reason)
    webhooks.bid_event("bid.rejected", bid)
    return bid


def schedule_slot(actor: User, bid_id: int, *, starts_at: datetime, location: str, duration_minutes: int = 60,
                  note: str = "") -> EvaluationSlot:
    """Book the pitch or site visit of the round the bid is in; the provider is told."""
    bid = _brand_bid(actor, bid_id)
    _require_live(bid)
    _require_evaluating(bid.tender)
    if bid.round_kind not in SLOT_ROUNDS:
        raise Conflict(_l("Appointments are for the pitch and on-site inspection rounds."), code="no_slot_round")
    location = (location or "").strip()
    check({
        "starts_at": not utcnow() < starts_at <= utcnow() + SLOT_HORIZON
        and _l("Choose a time within the next %(period)s.", period=duration(SLOT_HORIZON)),
        "location": not 3 <= len(location) <= 500 and _l("Give an address or a meeting link."),
        "duration_minutes": not SLOT_MINUTES[0] <= duration_minutes <= SLOT_MINUTES[1]
        and _l("From %(shortest)s to %(longest)s.", shortest=duration(timedelta(minutes=SLOT_MINUTES[0])),
               longest=duration(timedelta(minutes=SLOT_MINUTES[1]))),
        "note": len(note or "") > 2000 and _l("At most 2000 characters."),
    })
    slot = EvaluationSlot(round_index=bid.round_index, starts_at=starts_at, location=location,
                          duration_minutes=duration_minutes, note=(note or "").strip())
    bid.slots.append(slot)
    db.session.flush()
    notifications.notify([bid.provider_id], "slot_scheduled", to=destinations.tender(bid.tender_id),
                         tender=bid.tender.title, round=bid.round_kind, starts_at=starts_at.isoformat(),
                         minutes=duration_minutes, location=location)
    return slot


def award(actor: User, tender_id: int, bid_id: int) -> Contract:
    """Create the contract and its milestones from the bid, reject every other live bid, in one go."""
    tender = owned_tender(actor, tender_id, "tender.award")
    require_verified_email(actor)
    if tender.status == TenderStatus.AWARDED:
        raise Conflict(_l("This tender has already been awarded."), code="already_awarded")
    _require_evaluating(tender)
    bid = locked_get(Bid, bid_id)
    if bid is None or bid.tender_id != tender.id:
        raise NotFound(_l("No such bid on this tender."))
    _require_live(bid)
    # A price must be known to be awarded: after the price opening, and not while final offers are sealed.
    if tender.two_envelope and not tender.envelopes.price_open:
        raise Conflict(_l("Open the price envelopes before the award."), code="prices_sealed")
    if tender.open_bafo is not None:
        raise Conflict(_l("Final offers are still being taken; award after the round closes."), code="bafo_open")

    now = utcnow()
    contract = Contract(tender_id=tender.id, bid_id=bid.id, title=tender.title, brand_id=tender.brand_id,
                        provider_id=bid.provider_id, amount=bid.amount, currency=bid.currency,
                        status=ContractStatus.ACTIVE.value, engagement=tender.engagement,
                        unit_price=bid.unit_price)
    if tender.engagement in PERIODIC:
        contract.milestones = engagements.period_milestones(tender, bid, now)
        contract.amount = sum(m.base_amount for m in contract.milestones)  # fees (or caps) of every period
    else:  # KPI terms on a fixed milestone: funded with its amount plus the most its bonuses add
        contract.milestones = [
            Milestone(position=m.position, title=m.title, base_amount=m.amount,
                      amount=m.amount + period_money.max_bonus(m.amount, tender.kpis), currency=bid.currency,
                      status=MilestoneStatus.PENDING.value,
                      due_at=now + timedelta(days=m.due_days))
            for m in bid.milestones
        ]
    db.session.add(contract)
    move(tender, TenderStatus.AWARDED)
    decide_bid(bid, BidStatus.AWARDED)
    losers = [other for other in tender.bids if other.live and other.id != bid.id]
    for other in losers:
        decide_bid(other, BidStatus.REJECTED, str(_l("Another bid was awarded.")))
    db.session.flush()  # unique contracts.tender_id: a racing second award fails here, whole
    contract_documents.queue(contract)
    notifications.notify([bid.provider_id], "bid_awarded", to=destinations.contract(contract.id), tender=tender.title)
    notifications.notify([o.provider_id for o in losers], "bid_not_awarded", to=destinations.tender(tender.id),
                         tender=tender.title)
    webhooks.tender_event("tender.awarded", tender)
    for other in losers:
        webhooks.bid_event("bid.rejected", other)
    webhooks.contract_created(contract)
    return contract


# --- the evaluation board ------------------------------------------------------------------------

@dataclass
class BoardRow:
    bid: Bid
    scores: dict[int, int | None]  # round index → score

    @property
    def average(self) -> float | None:
        given = [s for s in self.scores.values() if s is not None]
        return sum(given) / len(given) if given else None


def board(actor: User, tender_id: int) -> tuple[Tender, dict[int, list[BoardRow]], list[Bid]]:
    """Live bids grouped by round (for side-by-side comparison) and the bids out of the running."""
    tender = get_tender(tender_id, viewer=actor)
    if actor is None or not (actor.is_admin or actor.account_id == tender.brand_id):
        raise Forbidden(_l("Only the tender's brand sees its bids."))
    bids = bids_for(actor, tender.id)
    by_round: dict[int, list[BoardRow]] = {i: [] for i in range(len(tender.rounds))}
    for bid in bids:
        if bid.live or bid.status == BidStatus.AWARDED:
            by_round[bid.round_index].append(BoardRow(bid, {s.round_index: s.score for s in bid.scores}))
    for rows in by_round.values():  # by price only where prices are open: the order would tell them
        rows.sort(key=lambda r: (-(r.average or -1), r.bid.amount if can_see_price(actor, r.bid) else 0, r.bid.id))
    out = [bid for bid in bids if bid.status in OUT_OF_RUNNING]
    return tender, by_round, out
