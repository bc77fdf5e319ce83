"""Buying a contest entry that won no prize (issue 19): once the contest is decided, its brand offers a
price for an active, non-winning entry; the entrant accepts or declines; the brand may withdraw while
the offer stands; an offer left unanswered expires after OFFER_DAYS (the contests' sweep).

Acceptance makes a one-milestone contract between the brand and the entrant for that entry and funds
its milestone from the brand's wallet in ONE balanced posting keyed by the contest
(`prize:contest:<contest id>:buy:<entry id>`), in the same transaction as the offer's move to
`accepted` — a wallet that does not cover the price is 409 `insufficient_funds` and nothing changes.
From then on the milestone's rules apply: the entrant delivers the full-resolution files, the brand
sees watermarked previews until it releases (or the milestone releases itself), disputes as usual;
the entry's original downloads once the milestone is released (services.contest_views).

Races: every move locks the offer's row first (accept, decline, withdraw and the sweep serialise on
it); the contract's unique `contest_entry_id` and the posting's unique key are the last guards.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from extensions import db
from models import Contest, ContestAward, ContestEntry, ContestPurchase, Contract, Milestone, User
from models.contest import ContestStatus, EntryStatus, PurchaseStatus
from models.contract import ContractStatus, MilestoneStatus
from models.engagement import Engagement
from models.status import IllegalTransition
from models.status import transition as change_status
from models.types import utcnow
from services import contests, contract_documents, destinations, escrow, ledger, notifications, permissions, webhooks
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get

OFFER_DAYS = 7  # an offer the entrant leaves unanswered this long expires
DELIVERY_DAYS = 7  # the bought entry's milestone is due this long after acceptance
MAX_MESSAGE = 2000
BRAND_ACTIONS = ("tender.award", "milestone.fund")  # who may offer the brand's money (as publishing a contest)
PROVIDER_ACTION = "bid.manage"  # who answers for the entrant (as entering the contest)


def buy_key(contest_id: int, entry_id: int) -> str:
    """The one posting of buying an entry: brand wallet → the bought milestone's escrow."""
    return f"prize:contest:{contest_id}:buy:{entry_id}"


def _move(purchase: ContestPurchase, status: PurchaseStatus) -> None:
    try:
        change_status(purchase, status)
    except IllegalTransition:
        raise Conflict(_l("This offer has already been answered, withdrawn or has expired."),
                       code="illegal_transition") from None


def is_open(purchase: ContestPurchase, now: datetime | None = None) -> bool:
    """Offered and not past its expiry (the sweep stores `expired` later; reads know it already)."""
    return purchase.status == PurchaseStatus.OFFERED and purchase.expires_at > (now or utcnow())


def _bought(entry_id: int) -> bool:
    return db.session.scalar(select(exists().where(Contract.contest_entry_id == entry_id)))


def _won(entry_id: int) -> bool:
    return db.session.scalar(select(exists().where(ContestAward.entry_id == entry_id)))


def offer_problem(contest: Contest, entry: ContestEntry):
    """Why this entry cannot be offered for now, or None (the page shows the button by the same rule)."""
    if contest.status != ContestStatus.AWARDED:
        return Conflict(_l("Entries can be bought once the contest's prizes are awarded."),
                        code="contest_not_decided")
    if entry.status != EntryStatus.ACTIVE:
        return Conflict(_l("This entry was withdrawn or removed."), code="entry_not_active")
    if _won(entry.id):
        return Conflict(_l("This entry won a prize: it is already the brand's."), code="entry_won")
    if _bought(entry.id):
        return Conflict(_l("This entry has already been bought."), code="entry_bought")
    if db.session.scalar(select(exists().where(ContestPurchase.entry_id == entry.id,
                                               ContestPurchase.status == PurchaseStatus.OFFERED,
                                               ContestPurchase.expires_at > utcnow()))):
        return Conflict(_l("An offer for this entry is already waiting for its entrant's answer."),
                        code="offer_open")
    return None


def _message(message: str | None) -> str:
    message = (message or "").strip()
    check({"message": len(message) > MAX_MESSAGE
           and _l("The message is at most %(n)s characters.", n=MAX_MESSAGE)})
    return message


def make_offer(actor: User, contest_id: int, entry_id: int, price: int, message: str = "") -> ContestPurchase:
    """The contest's brand offers `price` (minor units, the contest's currency) for one of its entries
    that won nothing. The entry's row lock makes two offers at once wait for each other; the partial
    unique index (one offered row per entry) is the last guard."""
    contest = contests.as_owner(actor, contest_id, BRAND_ACTIONS[0])
    permissions.require(actor, BRAND_ACTIONS[1], contest)
    entry = locked_get(ContestEntry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        raise NotFound()
    check({"price": (not isinstance(price, int) or isinstance(price, bool) or not 0 < price <= contests.MAX_AMOUNT)
           and _l("Offer a positive price.")})
    message = _message(message)
    if (problem := offer_problem(contest, entry)) is not None:
        raise problem
    stale = db.session.scalars(select(ContestPurchase).where(ContestPurchase.entry_id == entry.id,
                                                             ContestPurchase.status == PurchaseStatus.OFFERED))
    for old in stale:  # past its expiry, not swept yet: expired now, so the new one is the only open offer
        _expire(old)
    now = utcnow()
    purchase = ContestPurchase(contest_id=contest.id, entry_id=entry.id, brand_id=contest.brand_id,
                               provider_id=entry.provider_id, offered_by_id=actor.id, price=price,
                               currency=contest.currency, message=message, created_at=now,
                               expires_at=now + timedelta(days=OFFER_DAYS))
    db.session.add(purchase)
    db.session.flush()
    notifications.notify([entry.provider_id], "contest_offer_received",
                         to=destinations.contest(contest.id, f"entry-{entry.id}"), contest=contest.title,
                         days=OFFER_DAYS)
    return purchase


def _locked(contest_id: int, offer_id: int) -> ContestPurchase:
    purchase = locked_get(ContestPurchase, offer_id)
    if purchase is None or purchase.contest_id != contest_id:
        raise NotFound()
    return purchase


def _as_entrant(actor: User, contest_id: int, offer_id: int) -> ContestPurchase:
    purchase = _locked(contest_id, offer_id)
    if actor is None or actor.account_id != purchase.provider_id:
        raise NotFound()
    if not permissions.allowed(actor, PROVIDER_ACTION):
        raise Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
    return purchase


def _still_open(purchase: ContestPurchase) -> None:
    if purchase.status == PurchaseStatus.OFFERED and not is_open(purchase):
        raise Conflict(_l("This offer has expired."), code="offer_expired")


def accept(actor: User, contest_id: int, offer_id: int) -> ContestPurchase:
    """The entrant accepts: the contract, its one milestone funded from the brand's wallet (one
    posting, the buy key) and the offer's move, in this transaction — or nothing at all."""
    purchase = _as_entrant(actor, contest_id, offer_id)
    _still_open(purchase)
    _move(purchase, PurchaseStatus.ACCEPTED)
    contest, entry = purchase.contest, purchase.entry
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_l("This entry was withdrawn or removed."), code="entry_not_active")
    brand = db.session.get(User, purchase.brand_id)
    wallet = ledger.wallet(brand, purchase.currency)
    ledger.lock(wallet)  # the brand's other spending waits: one balance is not spent twice
    if ledger.balance(wallet) < purchase.price:
        raise Conflict(_l("The brand's wallet does not cover this price now; the offer stays open."),
                       code="insufficient_funds")
    now = utcnow()
    milestone = Milestone(position=0, title=_("Entry %(n)s: the full-resolution files", n=entry.id)[:200],
                          amount=purchase.price, base_amount=purchase.price, currency=purchase.currency,
                          status=MilestoneStatus.PENDING.value, due_at=now + timedelta(days=DELIVERY_DAYS))
    contract = Contract(contest_entry_id=entry.id, title=contest.title, brand_id=purchase.brand_id,
                        provider_id=purchase.provider_id, amount=purchase.price, currency=purchase.currency,
                        status=ContractStatus.ACTIVE.value, engagement=Engagement.FIXED.value,
                        milestones=[milestone])
    db.session.add(contract)
    db.session.flush()  # unique contracts.contest_entry_id: an entry is bought once
    ledger.post(buy_key(contest.id, entry.id), "fund",
                [(wallet, -purchase.price), (ledger.escrow(milestone), purchase.price)],
                memo=milestone.title, milestone_id=milestone.id, actor_id=actor.id,
                meta={"contest_id": contest.id, "entry_id": entry.id, "purchase_id": purchase.id})
    escrow.mark_funded(milestone, actor, "contest_purchase")
    purchase.contract_id, purchase.decided_at, purchase.decided_by_id = contract.id, now, actor.id
    contract_documents.queue(contract)
    notifications.notify([purchase.brand_id], "contest_offer_accepted", to=destinations.contract(contract.id),
                         actor=actor, contest=contest.title)
    webhooks.contract_created(contract, contest_id=contest.id)
    return purchase


def _end_unpaid(purchase: ContestPurchase, status: PurchaseStatus, actor: User, tell: int, kind: str) -> None:
    """An open offer ends with no money moved (declined or withdrawn); the other side is told."""
    _still_open(purchase)
    _move(purchase, status)
    purchase.decided_at, purchase.decided_by_id = utcnow(), actor.id
    notifications.notify([tell], kind, to=destinations.contest(purchase.contest_id, f"entry-{purchase.entry_id}"),
                         actor=actor, contest=purchase.contest.title)


def decline(actor: User, contest_id: int, offer_id: int) -> ContestPurchase:
    purchase = _as_entrant(actor, contest_id, offer_id)
    _end_unpaid(purchase, PurchaseStatus.DECLINED, actor, purchase.brand_id, "contest_offer_declined")
    return purchase


def withdraw(actor: User, contest_id: int, offer_id: int) -> ContestPurchase:
    """The brand takes its offer back while the entrant has not answered."""
    purchase = _locked(contest_id, offer_id)
    if actor is None or actor.account_id != purchase.brand_id:
        raise NotFound()
    for action in BRAND_ACTIONS:
        permissions.require(actor, action)
    _end_unpaid(purchase, PurchaseStatus.WITHDRAWN, actor, purchase.provider_id, "contest_offer_withdrawn")
    return purchase


def _expire(purchase: ContestPurchase) -> None:
    _move(purchase, PurchaseStatus.EXPIRED)
    purchase.decided_at = utcnow()


def expire_due(now: datetime) -> int:
    """The sweep: every offer left unanswered past its expiry expires, one row lock each (an answer
    that got the lock first wins; the offer is then no longer offered)."""
    done = 0
    ids = db.session.scalars(select(ContestPurchase.id).where(ContestPurchase.status == PurchaseStatus.OFFERED,
                                                              ContestPurchase.expires_at <= now)).all()
    for offer_id in ids:
        purchase = locked_get(ContestPurchase, offer_id)
        if purchase.status == PurchaseStatus.OFFERED and purchase.expires_at <= now:
            _expire(purchase)
            notifications.notify([purchase.brand_id], "contest_offer_expired",
                                 to=destinations.contest(purchase.contest_id, f"entry-{purchase.entry_id}"),
                                 contest=purchase.contest.title)
            done += 1
    return done


# --- reading -------------------------------------------------------------------------------------------

def offers_for(viewer: User | None, contest_id: int) -> list[ContestPurchase]:
    """The contest's brand: every offer it made; an entrant: the offers on its entries; anyone else
    none. Newest first."""
    contest = contests.get(contest_id)
    account = getattr(viewer, "account_id", None) if viewer is not None and viewer.is_authenticated else None
    if account is None:
        return []
    stmt = select(ContestPurchase).where(ContestPurchase.contest_id == contest.id)
    if account != contest.brand_id:
        stmt = stmt.where(ContestPurchase.provider_id == account)
    return list(db.session.scalars(stmt.order_by(ContestPurchase.created_at.desc(), ContestPurchase.id.desc())))


@dataclass(frozen=True)
class EntryOffers:
    """What the contest page shows about buying one entry, for the viewer (pages compare no status)."""
    latest: ContestPurchase | None  # the most recent offer the viewer may see
    status: str | None  # its status as read now (an offer past its expiry reads as expired)
    open: bool  # it waits for the entrant's answer
    can_offer: bool  # the brand may offer now
    can_answer: bool  # the entrant may accept or decline it now
    can_withdraw: bool  # the brand may withdraw it now


def page_state(viewer: User | None, contest: Contest, entries: list[ContestEntry]) -> dict[int, EntryOffers]:
    """Per entry shown, the offer flags for the contest page (two queries for the whole page)."""
    account = getattr(viewer, "account_id", None) if viewer is not None and viewer.is_authenticated else None
    if account is None or contest.status != ContestStatus.AWARDED:
        return {}
    latest: dict[int, ContestPurchase] = {}
    for offer in offers_for(viewer, contest.id):
        latest.setdefault(offer.entry_id, offer)
    taken = set(db.session.scalars(select(ContestAward.entry_id).where(ContestAward.contest_id == contest.id)))
    taken |= set(db.session.scalars(select(Contract.contest_entry_id).where(
        Contract.contest_entry_id.in_([e.id for e in entries]))))
    owner = account == contest.brand_id
    brand_may = owner and all(permissions.allowed(viewer, a) for a in BRAND_ACTIONS)
    provider_may = permissions.allowed(viewer, PROVIDER_ACTION)
    state = {}
    for entry in entries:
        offer = latest.get(entry.id)
        open_ = offer is not None and is_open(offer)
        shown = None if offer is None else (PurchaseStatus.EXPIRED.value if offer.status == PurchaseStatus.OFFERED
                                            and not open_ else offer.status)
        state[entry.id] = EntryOffers(
            latest=offer, status=shown, open=open_,
            can_offer=brand_may and not open_ and entry.status == EntryStatus.ACTIVE and entry.id not in taken,
            can_answer=open_ and offer.provider_id == account and provider_may,
            can_withdraw=open_ and owner and brand_may)
    return state


def bought_and_released(contest: Contest) -> set[int]:
    """Entries of the contest the brand bought and has paid for (their milestone released): their
    originals are the brand's."""
    return set(db.session.scalars(
        select(Contract.contest_entry_id).join(ContestEntry, ContestEntry.id == Contract.contest_entry_id)
        .join(Milestone, Milestone.contract_id == Contract.id)
        .where(ContestEntry.contest_id == contest.id, Milestone.status == MilestoneStatus.RELEASED)))
