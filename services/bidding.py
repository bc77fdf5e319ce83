"""Bids from the provider's side: submit, revise (while open, keeping every version), withdraw,
attach files; and who may see which bid."""
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from models import Bid, BidAttachment, BidMilestone, BidOpening, BidRevision, Tender, User
from models.bid import LIVE, BidStatus
from models.engagement import PERIODIC, Engagement
from models.status import IllegalTransition, transition
from models.tender import UNDECIDED, TenderStatus
from models.types import utcnow
from services import destinations, margins, notifications, permissions, storage, webhooks
from services.accounts import require_verified_email
from services.errors import Conflict, Forbidden, Invalid, NotFound, check
from services.locking import locked_get
from services.pagination import Page, paginate
from services.tenders import MAX_AMOUNT, bid_count, get_tender, is_invited

MAX_MILESTONES = 20
MAX_ATTACHMENTS = 10
MAX_DAYS = 3650


@dataclass
class MilestoneInput:
    title: str
    amount: int
    due_days: int


@dataclass
class BidInput:
    amount: int | None  # metered bids: set to the cap per period
    currency: str
    delivery_days: int
    proposal: str
    milestones: list[MilestoneInput] = field(default_factory=list)
    unit_price: int | None = None  # metered tenders: the price of one unit …
    cap_per_period: int | None = None  # … and the most one period may cost


def _plan_error(data: BidInput):
    plan = data.milestones
    if not 1 <= len(plan) <= MAX_MILESTONES:
        return _l("Plan 1 to %(n)s milestones.", n=MAX_MILESTONES)
    for step in plan:
        if not (1 <= len((step.title or "").strip()) <= 200 and 0 < step.amount <= MAX_AMOUNT
                and 1 <= step.due_days <= MAX_DAYS):
            return _l("Each milestone needs a title, a positive amount and a due day from 1 to %(max)s.", max=MAX_DAYS)
        if step.due_days > data.delivery_days:
            return _l("No milestone can fall due after the delivery time.")
    if not isinstance(data.amount, int) or sum(step.amount for step in plan) != data.amount:
        return _l("The milestone amounts must add up to the bid amount.")
    return None


def validate_offer(tender: Tender, data: BidInput) -> None:
    if tender.engagement in PERIODIC:
        _validate_periodic(tender, data)
        return
    data.unit_price = data.cap_per_period = None  # a fixed bid is its milestone plan
    check({
        "amount": not (isinstance(data.amount, int) and 0 < data.amount <= MAX_AMOUNT)
        and _l("Enter a positive amount."),
        "currency": data.currency != tender.currency
        and _l("Bid in the tender's currency (%(currency)s).", currency=tender.currency),
        "delivery_days": not 1 <= data.delivery_days <= MAX_DAYS
        and _l("Enter 1 to %(max)s days.", max=MAX_DAYS),
        "proposal": not 20 <= len((data.proposal or "").strip()) <= 50000
        and _l("Write a proposal of 20 to 50000 characters."),
        "milestones": _plan_error(data),
    })


def _validate_periodic(tender: Tender, data: BidInput) -> None:
    """Retainer: `amount` is the fee per period. Metered: a unit price and a cap per period (which
    becomes the bid's `amount`). Neither has a milestone plan: the periods are the milestones."""
    metered = tender.engagement == Engagement.METERED
    if metered and isinstance(data.cap_per_period, int):
        data.amount = data.cap_per_period
    check({
        "amount": not metered and not (isinstance(data.amount, int) and 0 < data.amount <= MAX_AMOUNT)
        and _l("Enter a positive fee per period."),
        "unit_price": metered and not (isinstance(data.unit_price, int) and 0 < data.unit_price <= MAX_AMOUNT)
        and _l("Enter a positive price per unit."),
        "cap_per_period": metered and not (isinstance(data.cap_per_period, int)
                                           and 0 < data.cap_per_period <= MAX_AMOUNT
                                           and data.cap_per_period >= (data.unit_price or 0))
        and _l("Enter the most a period may cost: at least one unit's price."),
        "currency": data.currency != tender.currency
        and _l("Bid in the tender's currency (%(currency)s).", currency=tender.currency),
        "delivery_days": not 1 <= data.delivery_days <= MAX_DAYS
        and _l("Enter 1 to %(max)s days.", max=MAX_DAYS),
        "proposal": not 20 <= len((data.proposal or "").strip()) <= 50000
        and _l("Write a proposal of 20 to 50000 characters."),
        "milestones": bool(data.milestones)
        and _l("Periods are the milestones of this tender: leave the milestone plan out."),
    })
    if not metered:
        data.unit_price = data.cap_per_period = None


def acting_provider_problem(provider: User | None, not_provider) -> Forbidden | None:
    """Why this account may not act as a service provider (bid, enter a contest), or None: not a
    provider (`not_provider` says what it may not do), a role without bid.manage, an unverified e-mail."""
    if provider is None or not provider.is_provider:
        return Forbidden(not_provider)
    if not permissions.allowed(provider, "bid.manage"):
        return Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
    try:
        require_verified_email(provider)
    except Forbidden as unverified:
        return unverified
    return None


def eligibility_problem(provider: User, tender: Tender):
    """Why this provider may not bid on this tender now, or None. (Shown on the page as well.)"""
    if problem := acting_provider_problem(provider, _l("Only service providers can bid.")):
        return problem
    if tender.status != TenderStatus.OPEN:
        return Conflict(_l("Bidding on this tender has closed."), code="tender_not_open")
    if tender.invited_only and not is_invited(tender, provider):
        return Forbidden(_l("This tender accepts bids from invited providers only."), code="not_invited")
    profile = permissions.principal_of(provider).provider_profile
    if tender.requires_verified and not profile.verified:
        return Forbidden(_l("This tender accepts bids from verified providers only."), code="verification_required")
    if tender.min_stars and (profile.stars or 0) < tender.min_stars:
        return Forbidden(_l("This tender asks for providers with at least %(n)s stars.", n=tender.min_stars),
                         code="stars_required")
    return margins.bid_problem(provider, tender)


def snapshot(bid: Bid) -> BidRevision:
    return BidRevision(number=bid.revision, amount=bid.amount, delivery_days=bid.delivery_days,
                       proposal=bid.proposal,
                       milestones=[{"title": m.title, "amount": m.amount, "due_days": m.due_days}
                                   for m in bid.milestones])


def apply_offer(bid: Bid, data: BidInput) -> None:
    bid.amount, bid.currency, bid.delivery_days = data.amount, data.currency, data.delivery_days
    bid.proposal = data.proposal.strip()
    bid.unit_price, bid.cap_per_period = data.unit_price, data.cap_per_period
    bid.milestones = [BidMilestone(position=i, title=m.title.strip(), amount=m.amount, due_days=m.due_days)
                      for i, m in enumerate(data.milestones)]


def live_bid_of(provider: User, tender_id: int) -> Bid | None:
    return db.session.scalar(select(Bid).where(Bid.tender_id == tender_id, Bid.provider_id == provider.account_id,
                                               Bid.status == LIVE))


def submit_bid(provider: User, tender_id: int, data: BidInput) -> Bid:
    # Lock the tender: a bid cannot slip in while the brand closes or awards it.
    tender = get_tender(tender_id, lock=True, viewer=provider)
    if (problem := eligibility_problem(provider, tender)) is not None:
        raise problem
    validate_offer(tender, data)
    if live_bid_of(provider, tender_id) is not None:
        raise Conflict(_l("You already have a bid on this tender; revise it instead."), code="bid_exists")
    principal = permissions.principal_of(provider)
    bid = Bid(tender=tender, provider=principal, status=LIVE.value, round_index=0, revision=1)
    apply_offer(bid, data)
    db.session.add(bid)
    db.session.flush()  # the partial unique index refuses a racing second live bid here
    # A bid inserted just now has no revisions, files, scores or slots (no other transaction can see it
    # yet): say so, so appending the first revision and answering with the bid load nothing to learn it.
    for empty in ("revisions", "attachments", "scores", "slots"):
        set_committed_value(bid, empty, [])
    bid.revisions.append(snapshot(bid))
    notifications.notify([tender.brand_id], "bid_received", to=destinations.evaluation(tender.id),
                         tender=tender.title, provider=None if tender.sealed_opening else principal.display_name)
    webhooks.bid_event("bid.submitted", bid)
    return bid


def own_bid(provider: User, bid_id: int, *, lock: bool = False) -> Bid:
    """The provider's own bid, for a member whose role manages bids (403 otherwise); anyone else's is
    not found (not even that it exists). With `lock`, the tender is locked first (the order award
    uses), so a change cannot cross a close or award."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or provider is None or bid.provider_id != provider.account_id:
        raise NotFound()
    permissions.require(provider, "bid.manage", bid)
    if lock:
        get_tender(bid.tender_id, lock=True, viewer=provider)
        bid = locked_get(Bid, bid_id)
    return bid


def revise_bid(provider: User, bid_id: int, data: BidInput) -> Bid:
    bid = own_bid(provider, bid_id, lock=True)
    if not bid.live or bid.tender.status != TenderStatus.OPEN:
        raise Conflict(_l("A bid can be revised only while bidding is open."), code="illegal_transition")
    validate_offer(bid.tender, data)
    apply_offer(bid, data)
    bid.revision += 1
    db.session.flush()
    bid.revisions.append(snapshot(bid))
    notifications.notify([bid.tender.brand_id], "bid_revised", to=destinations.evaluation(bid.tender_id),
                         tender=bid.tender.title,
                         provider=None if bid.tender.sealed_opening else bid.provider.display_name)
    return bid


def revise_bid_in_part(provider: User, bid_id: int, changes: dict) -> Bid:
    """A partial revision (the API's PATCH): the fields in `changes` replace the bid's own, the others
    stay as they stand. Checked as a whole revision, so a new total without a new plan must still
    match the plan's sum. Locked before it is read: two partial revisions never undo each other."""
    if not changes:
        raise Invalid(_l("Send at least one field to change."))
    check({name: changes.get(name, "") is None and _l("This cannot be empty.")
           for name in ("currency", "delivery_days", "proposal", "milestones")})
    bid = own_bid(provider, bid_id, lock=True)
    current = BidInput(amount=bid.amount, currency=bid.currency, delivery_days=bid.delivery_days,
                       proposal=bid.proposal, unit_price=bid.unit_price, cap_per_period=bid.cap_per_period,
                       milestones=[MilestoneInput(m.title, m.amount, m.due_days) for m in bid.milestones])
    return revise_bid(provider, bid_id, replace(current, **changes))


def decide_bid(bid: Bid, status: BidStatus, reason: str | None = None) -> None:
    """The one place a bid leaves the running: live → withdrawn, rejected or awarded, never back
    (the moves are models.bid.TRANSITIONS)."""
    try:
        transition(bid, status)
    except IllegalTransition:
        raise Conflict(_l("This bid is no longer in the running."), code="illegal_transition") from None
    bid.decided_at = utcnow()
    if reason is not None:
        bid.reject_reason = reason


def allowed_actions(bid: Bid, user: User | None) -> frozenset[str]:
    """What `user` may do to the bid from its page: its provider revises it while bidding is open
    ("revise") and withdraws it while the tender is undecided ("withdraw") — what `withdraw_bid` allows."""
    if user is None or not permissions.allowed(user, "bid.manage", bid) or not user.is_provider or not bid.live \
            or bid.tender.status not in UNDECIDED:
        return frozenset()
    return frozenset({"withdraw", "revise"} if bid.tender.status == TenderStatus.OPEN else {"withdraw"})


def withdraw_bid(provider: User, bid_id: int) -> Bid:
    bid = own_bid(provider, bid_id, lock=True)
    if not bid.live or bid.tender.status not in UNDECIDED:
        raise Conflict(_l("This bid can no longer be withdrawn."), code="illegal_transition")
    decide_bid(bid, BidStatus.WITHDRAWN)
    notifications.notify([bid.tender.brand_id], "bid_withdrawn", to=destinations.evaluation(bid.tender_id),
                         tender=bid.tender.title,
                         provider=None if bid.tender.sealed_opening else bid.provider.display_name)
    webhooks.bid_event("bid.withdrawn", bid)
    return bid


def attach_file(provider: User, bid_id: int, stream, filename: str) -> BidAttachment:
    bid = own_bid(provider, bid_id, lock=True)
    if not bid.live or bid.tender.status != TenderStatus.OPEN:
        raise Conflict(_l("Files can be attached only while bidding is open."), code="illegal_transition")
    if len(bid.attachments) >= MAX_ATTACHMENTS:
        raise Conflict(_l("A bid can carry at most %(n)s files.", n=MAX_ATTACHMENTS), code="too_many_files")
    attachment = BidAttachment.from_stored(storage.save(stream, filename, f"bids/{bid.id}", provider.id), bid_id=bid.id)
    db.session.add(attachment)
    db.session.flush()
    return attachment


# --- who sees what ------------------------------------------------------------------------------

def can_see_contents(viewer: User | None, bid: Bid) -> bool:
    """Proposal, plan and files: the bidder, staff, and the brand (after a sealed opening; on a
    two-envelope tender, once its technical envelopes are opened). The price has its own rule:
    `can_see_price`."""
    if viewer is None:
        return False
    if viewer.account_id == bid.provider_id or viewer.is_admin:
        return True
    tender = bid.tender
    if tender.two_envelope and not tender.envelopes.technical_open:
        return False
    return viewer.account_id == tender.brand_id and not tender.bids_are_hidden_from_brand \
        and permissions.may_open_bids(viewer, tender)


def can_see_price(viewer: User | None, bid: Bid) -> bool:
    """The total and the plan's amounts. Besides `can_see_contents`: on a two-envelope tender nobody
    but the bidder sees a price (staff and the brand included) before the price envelopes open, and a
    final offer stays sealed from everyone but its bidder until its best-and-final round closes."""
    if viewer is not None and viewer.account_id == bid.provider_id:
        return True
    return _price_envelope_visible(viewer, bid) and not (bid.bafo_round is not None and bid.bafo_round.open)


def can_see_first_offer(viewer: User | None, bid: Bid) -> bool:
    """The offer a best-and-final round started from. It was open before the round, so the round's seal
    does not cover it: the brand compares it with the final offer once that opens."""
    return bid.first_offer is not None and _price_envelope_visible(viewer, bid)


def _price_envelope_visible(viewer: User | None, bid: Bid) -> bool:
    if viewer is not None and viewer.account_id == bid.provider_id:
        return True
    if not can_see_contents(viewer, bid):
        return False
    return not (bid.tender.two_envelope and not bid.tender.envelopes.price_open)


def visible_bid_count(tender: Tender, viewer: User | None, counts: dict[int, int] | None = None) -> int | None:
    """Sealed tenders hide the count from everyone but their brand (and staff) until award."""
    insider = viewer is not None and (viewer.is_admin or viewer.account_id == tender.brand_id)
    if tender.sealed and tender.status != TenderStatus.AWARDED and not insider:
        return None
    return counts.get(tender.id, 0) if counts is not None else bid_count(tender)


def visible_bid(viewer: User | None, bid_id: int) -> Bid:
    """A bid the viewer may know exists: its provider, its tender's brand, or staff. Else 404."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or viewer is None or not (
            viewer.is_admin or viewer.account_id in (bid.provider_id, bid.tender.brand_id)):
        raise NotFound()
    if viewer.account_id == bid.tender.brand_id and not permissions.may_open_bids(viewer, bid.tender):
        raise NotFound()  # a panel member before its declaration, or an evaluator off the panel
    return bid


def _record_openings(viewer: User, bids: list[Bid], attachment: BidAttachment | None = None) -> None:
    """Audit of openings (issue 15): a brand member who sees a bid's contents or downloads its file is
    recorded. The caller commits, although it is a read: the record is the point."""
    rows = [BidOpening(bid_id=b.id, user_id=viewer.id, what="file" if attachment else "contents",
                       attachment_id=attachment.id if attachment else None)
            for b in bids if not viewer.is_admin and viewer.account_id == b.tender.brand_id
            and can_see_contents(viewer, b)]
    db.session.add_all(rows)


def open_bid(viewer: User | None, bid_id: int) -> Bid:
    """`visible_bid` for showing its contents: a brand member's opening is recorded."""
    bid = visible_bid(viewer, bid_id)
    _record_openings(viewer, [bid])
    return bid


def openings_of(tender: Tender) -> list[BidOpening]:
    return list(db.session.scalars(select(BidOpening).join(Bid, Bid.id == BidOpening.bid_id)
                                   .where(Bid.tender_id == tender.id)
                                   .options(selectinload(BidOpening.user)).order_by(BidOpening.id)))


def tender_openings(actor: User | None, tender_id: int) -> tuple[Tender, list[BidOpening]]:
    """Who opened which bid of the tender and when, for those who run it."""
    tender = get_tender(tender_id, viewer=actor)
    if actor is None or actor.account_id != tender.brand_id:
        raise NotFound()
    permissions.require(actor, "tender.run", tender)
    return tender, openings_of(tender)


def bids_for(viewer: User | None, tender_id: int) -> list[Bid]:
    """The contract's rule: the owner brand (and staff) see all bids, a provider only its own. A brand
    member's openings of their contents are recorded."""
    tender = get_tender(tender_id, viewer=viewer)
    stmt = (select(Bid).where(Bid.tender_id == tender.id)
            .options(selectinload(Bid.milestones), selectinload(Bid.attachments), selectinload(Bid.scores),
                     selectinload(Bid.bafo_round), selectinload(Bid.revisions),
                     selectinload(Bid.slots), selectinload(Bid.provider).selectinload(User.provider_profile))
            .order_by(Bid.id))
    if viewer is None:
        raise Forbidden()
    if viewer.is_provider:
        stmt = stmt.where(Bid.provider_id == viewer.account_id)
    elif not (viewer.is_admin or viewer.account_id == tender.brand_id):
        raise Forbidden(_l("Only the tender's brand sees its bids."))
    elif not viewer.is_admin and not permissions.may_open_bids(viewer, tender):
        raise NotFound()  # a panel member before its declaration, or an evaluator off the panel
    bids = list(db.session.scalars(stmt))
    _record_openings(viewer, bids)
    return bids


def attachment_for(viewer: User | None, bid_id: int, attachment_id: int) -> BidAttachment:
    bid = visible_bid(viewer, bid_id)
    attachment = next((a for a in bid.attachments if a.id == attachment_id), None)
    if attachment is None or not can_see_contents(viewer, bid):
        raise NotFound()
    _record_openings(viewer, [bid], attachment)
    return attachment


def bids_of_provider(provider: User, *, status: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """The provider's own bids, newest first, one page; `status` narrows them."""
    check({"status": status not in (None, "", *BidStatus) and _l("Unknown status.")})
    stmt = select(Bid).where(Bid.provider_id == provider.account_id).options(selectinload(Bid.tender))
    if status:
        stmt = stmt.where(Bid.status == status)
    return paginate(stmt.order_by(Bid.created_at.desc(), Bid.id.desc()), page, per_page)
