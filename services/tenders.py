"""Tenders: create, find, close, cancel. The status rules live in models.tender.TRANSITIONS."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, String, and_, cast, func, select
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from i18n import duration
from i18n.labels import TENDER_STATUS_LABELS
from models import Bid, BrandProfile, Tender, TenderCriterion, TenderEnvelopes, TenderKpi, User
from models.bid import LIVE, BidStatus
from models.catalog import CATEGORIES, CURRENCIES, ROUND_KINDS
from models.envelope import EnvelopeStage
from models.status import IllegalTransition, can_move, transition
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, engagements, notifications, permissions, ratings, search_index, webhooks
from services.criteria import CriterionInput, criteria_rows
from services.errors import Conflict, Forbidden, NotFound, check
from services.locking import locked_get
from services.pagination import Keyset, Page, paginate

KPI_DIRECTIONS = ("at_least", "at_most")
MAX_AMOUNT = 10**13  # minor units: 100 billion yuan; anything above is a typo
MAX_KPIS = 10
MIN_LEAD = timedelta(hours=1)  # a tender must stay open long enough for anyone to bid
MAX_LEAD = timedelta(days=365)


@dataclass
class KpiInput:
    name: str
    target: Decimal | int | float | str
    unit: str = ""
    direction: str = "at_least"  # or "at_most": see TenderKpi.direction
    bonus_bps: int = 0  # KPI terms (services/period_money.py): paid when met, withheld when missed
    penalty_bps: int = 0


@dataclass
class TenderInput:
    title: str
    category: str
    description: str
    budget_min: int
    budget_max: int
    currency: str
    bid_deadline: datetime
    sealed: bool = False
    rounds: list[str] = field(default_factory=lambda: ["proposal"])
    kpis: list[KpiInput] = field(default_factory=list)
    sealed_opening: bool = False
    invited_only: bool = False
    requires_verified: bool = False
    min_stars: int | None = None
    criteria: dict[str, list[CriterionInput]] = field(default_factory=dict)  # round kind → its scorecard
    blind_grading: bool = False
    two_envelope: bool = False  # technical, then price envelopes (services.envelopes); implies a sealed opening
    margin_required: int = 0  # minor units of services.margins.MARGIN_CURRENCY a bidder must hold
    engagement: str = "fixed"  # or retainer, metered (services/engagements.py)
    period_days: int | None = None
    periods: int | None = None
    unit: str | None = None


def _kpi_errors(kpis: list[KpiInput]) -> tuple[str | None, list[TenderKpi]]:
    if len(kpis) > MAX_KPIS:
        return _l("At most %(n)s KPI targets.", n=MAX_KPIS), []
    rows = []
    for position, kpi in enumerate(kpis):
        name, unit = (kpi.name or "").strip(), (kpi.unit or "").strip()
        try:
            target = Decimal(str(kpi.target))
            # checked as stored: a target just under the limit may round up to it
            target = target.quantize(Decimal("0.0001")) if abs(target) < 10**10 else None
        except InvalidOperation:
            target = None
        if not (1 <= len(name) <= 100) or len(unit) > 20 or target is None or not Decimal(0) <= target < 10**10 \
                or kpi.direction not in KPI_DIRECTIONS:
            return _l("Each KPI needs a name, a target of 0 or more and a short unit."), []
        rows.append(TenderKpi(position=position, name=name, target=target, unit=unit, direction=kpi.direction,
                              bonus_bps=kpi.bonus_bps, penalty_bps=kpi.penalty_bps))
    return None, rows


def create_tender(actor: User, data: TenderInput) -> Tender:
    if actor is None or not actor.is_brand:
        raise Forbidden(_l("Only brands can post tenders."))
    permissions.require(actor, "tender.post")
    title, description = (data.title or "").strip(), (data.description or "").strip()
    now = utcnow()
    kpi_error, kpi_rows = _kpi_errors(data.kpis)
    rounds = list(data.rounds or [])
    criteria_error, criteria = criteria_rows(rounds, data.criteria)
    engagement_errors = engagements.tender_errors(data.engagement, data.period_days, data.periods, data.unit,
                                                  data.kpis)
    check({
        "title": not 3 <= len(title) <= 200 and _l("Enter a title of 3 to 200 characters."),
        "category": data.category not in CATEGORIES and _l("Choose a category from the list."),
        "description": not 10 <= len(description) <= 20000
        and _l("Describe the work in 10 to 20000 characters."),
        "currency": data.currency not in CURRENCIES and _l("Choose a supported currency."),
        "budget_min": not 0 < data.budget_min <= MAX_AMOUNT and _l("Enter a positive budget."),
        "budget_max": (not 0 < data.budget_max <= MAX_AMOUNT or data.budget_max < data.budget_min)
        and _l("The maximum must be at least the minimum."),
        "bid_deadline": not (now + MIN_LEAD <= data.bid_deadline <= now + MAX_LEAD)
        and _l("Choose a deadline between %(soonest)s and %(latest)s from now.", soonest=duration(MIN_LEAD),
               latest=duration(MAX_LEAD)),
        "rounds": (not 1 <= len(rounds) <= len(ROUND_KINDS) or len(set(rounds)) != len(rounds)
                   or any(r not in ROUND_KINDS for r in rounds))
        and _l("Choose one to three different rounds: proposal, pitch, site visit."),
        "kpis": kpi_error or engagement_errors.pop("kpis", None),
        "criteria": criteria_error,
        "min_stars": data.min_stars is not None and not ratings.BASE_STARS <= data.min_stars <= ratings.TOP_STARS
        and _l("Star levels run from %(low)s to %(high)s.", low=ratings.BASE_STARS, high=ratings.TOP_STARS),
        "margin_required": not (isinstance(data.margin_required, int) and 0 <= data.margin_required <= MAX_AMOUNT)
        and _l("Enter zero or a positive margin in minor units."),
        **engagement_errors,
    })
    # Two envelopes open in stages after the close, so nothing opens at the close itself: a sealed opening.
    sealed_opening = bool(data.sealed_opening or data.two_envelope)
    tender = Tender(brand=permissions.principal_of(actor), title=title, category=data.category, description=description,
                    budget_min=data.budget_min, budget_max=data.budget_max, currency=data.currency,
                    bid_deadline=data.bid_deadline, sealed=bool(data.sealed or sealed_opening),
                    sealed_opening=sealed_opening, invited_only=bool(data.invited_only),
                    two_envelope=bool(data.two_envelope),
                    envelopes=TenderEnvelopes(status=EnvelopeStage.SEALED.value) if data.two_envelope else None,
                    requires_verified=bool(data.requires_verified), min_stars=data.min_stars, rounds=rounds,
                    stored_status=TenderStatus.OPEN.value, kpis=kpi_rows,
                    criteria=criteria, blind_grading=bool(data.blind_grading),
                    margin_required=data.margin_required)
    engagements.apply_tender_terms(tender, data.engagement, data.period_days, data.periods, data.unit)
    db.session.add(tender)
    db.session.flush()
    webhooks.tender_event("tender.published", tender)
    return tender


SORTS = ("newest", "brand_score")


@dataclass
class TenderFilters:
    category: str | None = None
    status: str | None = None
    q: str | None = None
    budget_min: int | None = None  # tenders whose budget reaches at least this much
    budget_max: int | None = None  # tenders whose budget starts at or below this
    brand_id: int | None = None
    include_unlisted: bool = False  # invited-only tenders: only in their brand's own list
    min_brand_score: int | None = None  # brands scored at least this (new brands have no score: left out)
    sort: str = "newest"  # or "brand_score": best-scored brands first, new brands last


def validate_filters(f: TenderFilters) -> None:
    check({
        "category": f.category not in (None, "", *CATEGORIES) and _l("Unknown category."),
        "status": f.status not in (None, "", *TenderStatus) and _l("Unknown status."),
        "budget_min": f.budget_min is not None and f.budget_min < 0 and _l("Must be 0 or more."),
        "budget_max": f.budget_max is not None and f.budget_max < 0 and _l("Must be 0 or more."),
        "q": f.q is not None and len(f.q) > search_index.MAX_QUERY_LENGTH
        and _l("Search at most %(n)s characters.", n=search_index.MAX_QUERY_LENGTH),
        "min_brand_score": f.min_brand_score is not None and not 0 <= f.min_brand_score <= 100
        and _l("Enter a number from 0 to 100."),
        "sort": f.sort not in SORTS and _l("Unknown order."),
    })


NEWEST_FIRST = Keyset((Tender.created_at, Tender.id))


def _shown_with() -> tuple:
    """What showing a tender reads with it: its brand and the brand's profile, and its envelopes (one-to-one:
    joined, no extra query). Not the brand's organisation membership (loaded with every user by default):
    a tender's card never needs it, and it would cost two more joins per row."""
    brand = joinedload(Tender.brand)
    return brand.joinedload(User.brand_profile), brand.lazyload(User.membership), joinedload(Tender.envelopes)


def search_tenders(f: TenderFilters, page: int = 1, per_page: int = 20, cursor: str | None = None) -> Page:
    """Public tenders matching the filters, newest first, in a fixed number of queries.

    Search (`q`) is "every word appears in the title or the description", Chinese words found inside
    longer text ("客服" in "客服外包"), served by the search index (services/search_index.py); the best
    matches come first (a word in the title counts more), then the newest. The ranking covers the newest
    `search_index.RANK_WINDOW` (500) matches, which are the results: more matching tenders than that,
    and the count says "more than 500" (total_is_estimate); narrow the search to reach older ones.

    `cursor` (a page's `next_cursor`) continues the newest-first list without words after that page's
    last row; other orders and searches page by number only (services/pagination.py).

    The tenders come with their brands (what a card shows), not their KPIs or scorecard criteria: a caller
    that shows those reads them with the bid counts in one query (`listing_extras`).
    """
    validate_filters(f)
    stmt = select(Tender).options(*_shown_with())
    if f.category:
        stmt = stmt.where(Tender.category == f.category)
    if f.status:
        stmt = stmt.where(Tender.status == f.status)
    if f.budget_min is not None:
        stmt = stmt.where(Tender.budget_max >= f.budget_min)
    if f.budget_max is not None:
        stmt = stmt.where(Tender.budget_min <= f.budget_max)
    if f.brand_id is not None:
        stmt = stmt.where(Tender.brand_id == f.brand_id)
    if not f.include_unlisted:
        stmt = stmt.where(Tender.invited_only.is_(False))
    # a suspended brand's tenders leave the listing (its undecided ones were cancelled: services.suspensions)
    stmt = stmt.where(Tender.brand_id.not_in(User.suspended_ids()))
    terms = search_index.query_terms(f.q)
    stmt = search_index.matching(stmt, Tender, terms, newest=(Tender.created_at, Tender.id))
    if f.min_brand_score is not None or f.sort == "brand_score":
        stmt = stmt.join(BrandProfile, BrandProfile.user_id == Tender.brand_id)
    if f.min_brand_score is not None:
        stmt = stmt.where(BrandProfile.brand_score >= f.min_brand_score)
    if f.sort == "brand_score":
        stmt = stmt.order_by(BrandProfile.brand_score.desc().nulls_last())
    stmt = stmt.order_by(Tender.created_at.desc(), Tender.id.desc())
    # cursors follow the plain newest-first order; the other orders (and searches, which will rank) page by number
    keyset = NEWEST_FIRST if f.sort == "newest" and not (f.q or "").strip() else None
    # a search ranks up to RANK_WINDOW candidates: their keys are sorted, and only the page's rows joined
    return paginate(stmt, page, per_page, keyset=keyset, cursor=cursor,
                    cap=search_index.RANK_WINDOW if terms else None, deferred=bool(terms))


def is_invited(tender: Tender, provider: User) -> bool:
    return any(inv.provider_id == provider.account_id for inv in tender.invitations)


def can_view(viewer: User | None, tender: Tender) -> bool:
    """Listed tenders are public; an invited-only one is seen by its brand, its invitees and staff."""
    if not tender.invited_only:
        return True
    if viewer is None:
        return False
    return viewer.is_admin or viewer.account_id == tender.brand_id or is_invited(tender, viewer)


def get_tender(tender_id: int, *, lock: bool = False, viewer: User | None = None) -> Tender:
    """The tender, or NotFound — also when it is invited-only and `viewer` may not know of it.

    Every caller that acts for a user passes `viewer`; only internal callers omit it."""
    return _visible(locked_get(Tender, tender_id) if lock else db.session.get(Tender, tender_id), viewer)


def _visible(tender: Tender | None, viewer: User | None) -> Tender:
    """`tender`, or NotFound when there is none or `viewer` may not know of it (one rule for every lookup)."""
    if tender is None or (tender.invited_only and not can_view(viewer, tender)):
        raise NotFound(_l("No such tender."))
    return tender


def tender_with_extras(tender_id: int, viewer: User | None = None) -> tuple[Tender, "ListingExtras"]:
    """The tender as the API shows it, and its `ListingExtras` (bid count, KPIs, criteria), in one statement
    whatever it holds. NotFound as `get_tender`."""
    row = db.session.execute(
        select(Tender, *_extras_columns()).where(Tender.id == tender_id).options(*_shown_with())).first()
    return _visible(row and row[0], viewer), _extras(*row[1:])


def _counts_as_bid():
    """The bids a tender's bid count counts (every one but the withdrawn), in SQL: one rule for the
    per-page counts, the detail's column and the list's extras."""
    return Bid.status != BidStatus.WITHDRAWN


def _live_bid_count():
    """The tender's bid count as a correlated column of a query over tenders."""
    return select(func.count(Bid.id)).where(Bid.tender_id == Tender.id, _counts_as_bid()).correlate(Tender) \
        .scalar_subquery()


def tender_for_display(tender_id: int, viewer: User | None = None) -> tuple[Tender, dict[int, int]]:
    """The tender as its public page and the API show it, and its bid count (as `bid_counts` gives it),
    in two statements whatever it holds: the tender with its brand, the brand's profile, its KPIs and
    envelopes joined and the count as a column; then its scorecard criteria. NotFound as `get_tender`."""
    row = db.session.execute(
        select(Tender, _live_bid_count()).where(Tender.id == tender_id).options(
            *_shown_with(), joinedload(Tender.kpis), selectinload(Tender.criteria))
    ).unique().first()
    tender = _visible(row and row[0], viewer)
    return tender, {tender.id: row[1]}


def owned_tender(actor: User, tender_id: int, action: str = "tender.run") -> Tender:
    """The tender, row-locked, if `actor` is of the brand that posted it (two tabs cannot both act) and
    its role may do `action` (services.permissions)."""
    tender = get_tender(tender_id, lock=True, viewer=actor)
    if actor is None or tender.brand_id != actor.account_id:
        raise Forbidden(_l("Only the brand that posted this tender can do that."))
    permissions.require(actor, action, tender)
    return tender


def move(tender: Tender, new_status: TenderStatus) -> None:
    """The one place a tender's status changes (the allowed moves are models.tender.TRANSITIONS)."""
    try:
        transition(tender, new_status)
    except IllegalTransition:
        raise Conflict(
            _l("A tender that is “%(status)s” cannot become “%(new)s”.",
               status=TENDER_STATUS_LABELS[tender.status], new=TENDER_STATUS_LABELS[new_status]),
            code="illegal_transition",
        ) from None


def bidding_open(tender: Tender) -> bool:
    """Whether bids (and questions) are taken now: open, and its deadline not passed."""
    return tender.status == TenderStatus.OPEN


def allowed_actions(tender: Tender, user: User | None) -> frozenset[str]:
    """What `user` may do on the tender's page now: a provider bids ("bid") and asks ("ask") while
    bidding is open; its brand amends it (addenda, invitations: "amend") while open, closes bidding
    early ("close"), and cancels it until the award ("cancel"). The services check each again."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    actions = set()
    if user.is_provider and bidding_open(tender):
        actions |= {"bid", "ask"}
    if user.is_provider and not permissions.allowed(user, "bid.manage"):
        actions -= {"bid", "ask"}
    if permissions.allowed(user, "tender.run", tender):
        if bidding_open(tender):
            actions.add("amend")
        if can_move(tender, TenderStatus.EVALUATING):
            actions.add("close")
        if can_move(tender, TenderStatus.CANCELLED):
            actions.add("cancel")
    return frozenset(actions)


def close_tender(actor: User, tender_id: int) -> Tender:
    """End bidding early: the tender goes to evaluation in its first round."""
    tender = owned_tender(actor, tender_id)
    if tender.stored_status == TenderStatus.OPEN and tender.status == TenderStatus.EVALUATING:
        raise Conflict(_l("Bidding has already closed at the deadline."), code="illegal_transition")
    move(tender, TenderStatus.EVALUATING)
    tender.current_round = 0
    tender.closed_at = utcnow()
    webhooks.tender_event("tender.closed", tender)
    return tender


def cancel_tender(actor: User, tender_id: int, reason: str = "") -> Tender:
    tender = owned_tender(actor, tender_id)
    reason = (reason or "").strip()
    check({"reason": len(reason) > 2000 and _l("At most 2000 characters.")})
    move(tender, TenderStatus.CANCELLED)
    tender.cancelled_at = utcnow()
    tender.cancel_reason = reason or None
    bidders = [bid.provider_id for bid in tender.bids if bid.status == LIVE]
    notifications.notify(bidders, "tender_cancelled", to=destinations.tender(tender.id), tender=tender.title,
                         reason=tender.cancel_reason or "")
    webhooks.tender_event("tender.cancelled", tender)
    return tender


def persist_passed_deadlines() -> int:
    """Store `evaluating` on tenders whose deadline passed (reads already see it; this tidies rows)."""
    due = db.session.scalars(
        select(Tender).where(and_(Tender.stored_status == TenderStatus.OPEN, Tender.bid_deadline <= utcnow()))
        .with_for_update(skip_locked=True)
    ).all()
    for tender in due:
        transition(tender, TenderStatus.EVALUATING)  # writes down what reads already see
        tender.current_round = 0
        tender.closed_at = tender.bid_deadline
    return len(due)


def bid_count(tender: Tender) -> int:
    """Bids received and not withdrawn (rejected ones still count: they were made)."""
    return sum(1 for bid in tender.bids if bid.status != BidStatus.WITHDRAWN)


def bid_counts(tender_ids: list[int]) -> dict[int, int]:
    """`bid_count` for a whole page of tenders, in one query."""

    if not tender_ids:
        return {}
    rows = db.session.execute(select(Bid.tender_id, func.count()).where(
        Bid.tender_id.in_(tender_ids), _counts_as_bid()).group_by(Bid.tender_id))
    return dict(rows.all())


@dataclass(frozen=True)
class KpiRow:
    """A KPI target as a list shows it (the fields of TenderKpi that it reads)."""
    id: int
    name: str
    target: Decimal
    unit: str
    direction: str
    bonus_bps: int
    penalty_bps: int


@dataclass(frozen=True)
class CriterionRow:
    round_index: int
    name: str
    weight: int
    deal_breaker: bool


@dataclass(frozen=True)
class ListingExtras:
    """What a tender's card shows besides its own row: its bid count (as `bid_counts` gives it), its KPI
    targets (by position) and its scorecard criteria (by round, then position)."""
    bid_count: int
    kpis: list[KpiRow]
    criteria: list[CriterionRow]


def _json_rows(*columns, where):
    """A correlated subquery: the rows of `columns` where `where`, as one JSON array of arrays (NULL if none).
    PostgreSQL and SQLite name the same two functions differently."""
    if db.session.get_bind().dialect.name == "postgresql":
        aggregate = func.json_agg(func.json_build_array(*columns), type_=JSON)
    else:
        aggregate = func.json_group_array(func.json_array(*columns), type_=JSON)
    return select(aggregate).where(where).correlate(Tender).scalar_subquery()


def _extras_columns() -> tuple:
    k, c = TenderKpi, TenderCriterion
    # the target as text: exact, as the column holds it (a JSON number would go through a float)
    kpis = _json_rows(k.position, k.id, k.name, cast(k.target, String), k.unit, k.direction, k.bonus_bps,
                      k.penalty_bps, where=k.tender_id == Tender.id)
    criteria = _json_rows(c.round_index, c.position, c.id, c.name, c.weight, c.deal_breaker,
                          where=c.tender_id == Tender.id)
    return _live_bid_count(), kpis, criteria


def _extras(bid_count, kpis, criteria) -> ListingExtras:
    """Decoded from `_extras_columns`: ordered here (a JSON aggregate keeps no order of its own)."""
    return ListingExtras(
        bid_count=bid_count or 0,
        kpis=[KpiRow(id=kid, name=name, target=Decimal(target), unit=unit, direction=direction, bonus_bps=bonus,
                     penalty_bps=penalty)
              for _, kid, name, target, unit, direction, bonus, penalty in sorted(kpis or [], key=lambda r: r[:2])],
        criteria=[CriterionRow(round_index=round_index, name=name, weight=weight, deal_breaker=bool(deal_breaker))
                  for round_index, _, _, name, weight, deal_breaker in sorted(criteria or [], key=lambda r: r[:3])])


def listing_extras(tender_ids: list[int]) -> dict[int, ListingExtras]:
    """`ListingExtras` of a page of tenders (as `search_tenders` lists them), in one query."""
    if not tender_ids:
        return {}
    rows = db.session.execute(select(Tender.id, *_extras_columns()).where(Tender.id.in_(tender_ids)))
    return {tender_id: _extras(*rest) for tender_id, *rest in rows}
