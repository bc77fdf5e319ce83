"""Contests (比稿) with guaranteed prizes: publish (funded), entries, rating and shortlist, award,
the worker's split, cancel.

Money: the whole prize total moves from the brand's wallet into the contest's escrow when the contest
is published (`prize:contest:<id>:fund`); it leaves exactly once, either to the winners
(`prize:contest:<id>:award`, by the brand's pick or the worker's split: the same key) or back to the
brand (`prize:contest:<id>:cancel`, only with no entries, or by staff for a rule breach). Every exit
holds the contest's row lock, moves the status by the model's transition table, and checks the escrow
still holds the whole prize; the unique posting key is the last guard.
Visibility: services/contest_views.py.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from i18n import duration
from models import Contest, ContestAward, ContestEntry, ContestEntryFile, ContestPrize, User
from models.catalog import CURRENCIES
from models.contest import IP_TERMS, UNDECIDED, VISUAL_CATEGORIES, ContestStatus, EntryStatus
from models.status import IllegalTransition
from models.status import transition as change_status
from models.types import utcnow
from services import (
    audit,
    bidding,
    images,
    ledger,
    notifications,
    permissions,
    ratings,
    search_index,
    storage,
    webhooks,
)
from services.errors import Conflict, Forbidden, Invalid, NotFound, check
from services.locking import claim_rows, locked_get
from services.pagination import paginate
from services.rating_jobs import request_recompute

MAX_AMOUNT = 10**13
MAX_PRIZES = 10
MIN_LEAD = timedelta(hours=1)  # entries stay open at least this long
MAX_LEAD = timedelta(days=90)
SELECTION_DAYS = 7  # default: the brand picks within a week after entries close
MAX_SELECTION_DAYS = 30
MAX_HANDOVER_DAYS = 60
MAX_STARS = 5  # a brand's rating of an entry


def fund_key(contest_id: int) -> str:
    return f"prize:contest:{contest_id}:fund"


def award_key(contest_id: int) -> str:
    """The one key of paying the prizes out, by the brand's pick or the worker's split alike."""
    return f"prize:contest:{contest_id}:award"


def cancel_key(contest_id: int) -> str:
    return f"prize:contest:{contest_id}:cancel"


# --- loading ------------------------------------------------------------------------------------------

def get(contest_id: int, *, lock: bool = False) -> Contest:
    """Any contest (contests are public, like tenders); 404 if there is none."""
    contest = locked_get(Contest, contest_id) if lock else db.session.get(Contest, contest_id)
    if contest is None:
        raise NotFound()
    return contest


def is_owner(viewer: User | None, contest: Contest) -> bool:
    return viewer is not None and getattr(viewer, "is_authenticated", True) and viewer.account_id == contest.brand_id


def as_owner(actor: User, contest_id: int, action: str) -> Contest:
    """The contest, row-locked, for a member of its brand whose role may do `action` (404 to others)."""
    contest = get(contest_id, lock=True)
    if actor is None or not is_owner(actor, contest):
        raise NotFound()
    permissions.require(actor, action, contest)
    return contest


def _entry_of(contest: Contest, entry_id: int) -> ContestEntry:
    entry = db.session.get(ContestEntry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        raise NotFound()
    return entry


def _move(contest: Contest, status: ContestStatus) -> None:
    try:
        change_status(contest, status)
    except IllegalTransition:
        raise Conflict(_l("This contest is already decided."), code="illegal_transition") from None


# --- publishing ---------------------------------------------------------------------------------------

@dataclass
class ContestInput:
    title: str
    category: str
    brief: str
    prizes: list[int]
    currency: str
    entry_deadline: datetime
    selection_days: int | None = None
    blind: bool = True
    deliverable_spec: str = ""
    min_stars: int | None = None
    ip_terms: str = "full_transfer"
    handover_days: int = 7


def publish(actor: User, data: ContestInput) -> Contest:
    """Create the contest and fund its whole prize from the brand's wallet, in this transaction: a
    contest never opens unfunded (409 `insufficient_funds`, and nothing is written)."""
    if actor is None or not actor.is_brand:
        raise Forbidden(_l("Only brands can post contests."))
    permissions.require(actor, "tender.post")
    permissions.require(actor, "milestone.fund")
    title, brief, spec = (data.title or "").strip(), (data.brief or "").strip(), (data.deliverable_spec or "").strip()
    prizes, now = list(data.prizes or []), utcnow()
    days = SELECTION_DAYS if data.selection_days is None else data.selection_days
    check({
        "title": not 3 <= len(title) <= 200 and _l("Enter a title of 3 to 200 characters."),
        "category": data.category not in VISUAL_CATEGORIES
        and _l("Contests are for photography, design and video."),
        "brief": not 10 <= len(brief) <= 20000 and _l("Describe the brief in 10 to 20000 characters."),
        "deliverable_spec": len(spec) > 5000 and _l("The deliverable spec is at most 5000 characters."),
        "prizes": (not 1 <= len(prizes) <= MAX_PRIZES
                   or any(not isinstance(p, int) or isinstance(p, bool) or not 0 < p <= MAX_AMOUNT for p in prizes)
                   or sum(prizes) > MAX_AMOUNT or prizes != sorted(prizes, reverse=True))
        and _l("Give one to ten positive prizes, the first the largest."),
        "currency": data.currency not in CURRENCIES and _l("Choose a supported currency."),
        "entry_deadline": not (now + MIN_LEAD <= data.entry_deadline <= now + MAX_LEAD)
        and _l("Choose a deadline between %(soonest)s and %(latest)s from now.", soonest=duration(MIN_LEAD),
               latest=duration(MAX_LEAD)),
        "selection_days": not 1 <= days <= MAX_SELECTION_DAYS
        and _l("The brand picks within 1 to %(n)s days after entries close.", n=MAX_SELECTION_DAYS),
        "min_stars": data.min_stars is not None and not ratings.BASE_STARS <= data.min_stars <= ratings.TOP_STARS
        and _l("Star levels run from %(low)s to %(high)s.", low=ratings.BASE_STARS, high=ratings.TOP_STARS),
        "ip_terms": data.ip_terms not in IP_TERMS and _l("Choose the IP terms from the list."),
        "handover_days": not 1 <= data.handover_days <= MAX_HANDOVER_DAYS
        and _l("The handover period is 1 to %(most)s days.", most=MAX_HANDOVER_DAYS),
    })
    contest = Contest(brand_id=actor.account_id, created_by_id=actor.id, title=title, category=data.category,
                      brief=brief, deliverable_spec=spec, currency=data.currency, prize_total=sum(prizes),
                      entry_deadline=data.entry_deadline,
                      selection_deadline=data.entry_deadline + timedelta(days=days), blind=bool(data.blind),
                      guaranteed=True, min_stars=data.min_stars, ip_terms=data.ip_terms,
                      handover_days=data.handover_days,
                      prizes=[ContestPrize(rank=i + 1, amount=amount) for i, amount in enumerate(prizes)])
    db.session.add(contest)
    db.session.flush()
    wallet = ledger.wallet(actor, contest.currency)
    ledger.lock(wallet)  # two publishes (or a publish and a milestone funding) cannot spend one balance
    if ledger.balance(wallet) < contest.prize_total:
        raise Conflict(_l("Your wallet does not cover the prizes. Record a bank transfer first."),
                       code="insufficient_funds")
    ledger.post(fund_key(contest.id), "contest_fund",
                [(wallet, -contest.prize_total), (ledger.contest_escrow(contest.id, contest.currency),
                                                  contest.prize_total)],
                memo=contest.title, actor_id=actor.id, meta={"contest_id": contest.id})
    return contest


# --- entries ------------------------------------------------------------------------------------------

def entry_problem(provider: User, contest: Contest):
    """Why this provider may not enter this contest now, or None (shown on the page as well)."""
    if problem := bidding.acting_provider_problem(provider, _l("Only service providers can enter contests.")):
        return problem
    if contest.status != ContestStatus.OPEN:
        return Conflict(_l("Entries to this contest have closed."), code="contest_not_open")
    profile = permissions.principal_of(provider).provider_profile
    if contest.min_stars and (profile is None or (profile.stars or 0) < contest.min_stars):
        return Forbidden(_l("This contest asks for providers with at least %(n)s stars.", n=contest.min_stars),
                         code="stars_required")
    return None


def _note(note: str | None) -> str:
    note = (note or "").strip()
    check({"note": len(note) > 2000 and _l("The note is at most 2000 characters.")})
    return note


def _store_image(actor: User, contest: Contest, stream, filename: str, version: int) -> ContestEntryFile:
    stored = storage.save(stream, filename, f"contests/{contest.id}", actor.id)
    if stored.content_type not in images.IMAGE_TYPES:
        raise Invalid(fields={"file": _l("An entry is an image: PNG, JPEG or WebP.")})
    return ContestEntryFile.from_stored(stored, version=version, uploaded_at=utcnow())


def submit_entry(actor: User, contest_id: int, note: str, stream, filename: str) -> ContestEntry:
    """A new entry with its image (stored with its SHA-256 and the time: proof of who was first). The
    contest is locked, as cancel locks it: an entry never lands in a contest refunded meanwhile."""
    contest = get(contest_id, lock=True)
    if (problem := entry_problem(actor, contest)) is not None:
        raise problem
    note = _note(note)
    entry = ContestEntry(contest_id=contest.id, provider_id=actor.account_id, submitted_by_id=actor.id, note=note,
                         submitted_at=utcnow())
    entry.files.append(_store_image(actor, contest, stream, filename, 1))
    db.session.add(entry)
    db.session.flush()
    notifications.notify([contest.brand_id], "contest_entry_submitted", actor=actor, contest=contest.title)
    webhooks.emit("contest.entry_submitted", f"contest_entry:{entry.id}",
                  {"contest_id": contest.id, "entry_id": entry.id, "status": entry.status},
                  [contest.brand_id, entry.provider_id])
    return entry


def _own_entry(actor: User, contest_id: int, entry_id: int) -> tuple[Contest, ContestEntry]:
    contest = get(contest_id)
    entry = locked_get(ContestEntry, entry_id)
    if entry is None or entry.contest_id != contest.id or actor is None or entry.provider_id != actor.account_id:
        raise NotFound()
    if not permissions.allowed(actor, "bid.manage"):
        raise Forbidden(_l("Your role in your organisation does not allow this."), code="role_forbidden")
    if contest.status != ContestStatus.OPEN:
        raise Conflict(_l("Entries to this contest have closed."), code="contest_not_open")
    if entry.status != EntryStatus.ACTIVE:
        raise Conflict(_l("This entry was withdrawn or removed."), code="entry_not_active")
    return contest, entry


def revise_entry(actor: User, contest_id: int, entry_id: int, note: str | None, *, stream=None,
                 filename: str = "") -> ContestEntry:
    """A new version of the entry's image and/or note; earlier versions stay on record."""
    contest, entry = _own_entry(actor, contest_id, entry_id)
    if note is not None:
        entry.note = _note(note)
    if stream is not None:
        entry.files.append(_store_image(actor, contest, stream, filename, len(entry.files) + 1))
    entry.revised_at = utcnow()
    return entry


def withdraw_entry(actor: User, contest_id: int, entry_id: int) -> ContestEntry:
    _contest, entry = _own_entry(actor, contest_id, entry_id)
    change_status(entry, EntryStatus.WITHDRAWN)
    entry.withdrawn_at, entry.shortlisted = utcnow(), False
    return entry


def active_entries(contest: Contest) -> list[ContestEntry]:
    return [e for e in contest.entries if e.status == EntryStatus.ACTIVE]


def entry_counts_of(contest: Contest) -> tuple[int, int]:
    """(active entries, shortlisted ones): what everyone may know of a contest's entries."""
    active = active_entries(contest)
    return len(active), sum(1 for e in active if e.shortlisted)


# --- the brand judges ---------------------------------------------------------------------------------

def rate(actor: User, contest_id: int, entry_id: int, rating: int, feedback: str = "") -> ContestEntry:
    """1–5 stars and private feedback to the entrant, while the contest is undecided."""
    contest = as_owner(actor, contest_id, "tender.shortlist")
    entry = _entry_of(contest, entry_id)
    feedback = (feedback or "").strip()
    check({"rating": not (isinstance(rating, int) and 1 <= rating <= MAX_STARS)
           and _l("Give 1 to %(most)s stars.", most=MAX_STARS),
           "feedback": len(feedback) > 2000 and _l("Feedback is at most 2000 characters.")})
    if contest.status not in UNDECIDED or entry.status != EntryStatus.ACTIVE:
        raise Conflict(_l("This entry can no longer be rated."), code="illegal_transition")
    entry.rating, entry.feedback = rating, feedback or None
    return entry


def shortlist(actor: User, contest_id: int, entry_ids: list[int]) -> list[ContestEntry]:
    """The finalists: exactly these active entries (the worker splits the prize among them if the
    brand does not pick in time)."""
    contest = as_owner(actor, contest_id, "tender.shortlist")
    if contest.status not in UNDECIDED:
        raise Conflict(_l("This contest is already decided."), code="illegal_transition")
    active = {e.id: e for e in active_entries(contest)}
    wanted = list(dict.fromkeys(entry_ids))
    check({"entry_ids": any(i not in active for i in wanted) and _l("Choose among this contest's active entries.")})
    for entry in active.values():
        entry.shortlisted = entry.id in wanted
    return [active[i] for i in wanted]


# --- paying out ---------------------------------------------------------------------------------------

def _take_escrow(contest: Contest):
    """The contest's escrow, locked, holding the whole prize — or 409: the prize leaves once."""
    held = ledger.contest_escrow(contest.id, contest.currency)
    ledger.lock(held)
    if ledger.balance(held) != contest.prize_total:
        raise Conflict(_l("This contest's prize has already been paid out."), code="escrow_empty")
    return held


def _pay(contest: Contest, shares: list[tuple[ContestEntry, int, ContestPrize | None]], actor: User | None,
         *, auto: bool) -> list[ContestAward]:
    """One balanced posting: escrow → each winner's payable (its share − commission) and the platform's
    revenue (the commissions), keyed by the contest (the unique key refuses a second payout)."""
    _move(contest, ContestStatus.AWARDED)
    held = _take_escrow(contest)
    bps = current_app.config["COMMISSION_BPS"]
    legs, awards, total_cut = [(held, -contest.prize_total)], [], 0
    for rank, (entry, amount, prize) in enumerate(shares, start=1):
        cut = ledger.commission_of(amount, bps)
        total_cut += cut
        legs.append((ledger.payable(entry.provider_id, contest.currency), amount - cut))
        awards.append(ContestAward(contest_id=contest.id, entry_id=entry.id, prize_id=prize.id if prize else None,
                                   rank=rank, amount=amount, commission=cut))
    legs.append((ledger.revenue(contest.currency), total_cut))
    ledger.post(award_key(contest.id), "contest_award", legs, memo=contest.title,
                actor_id=actor.id if actor else None,
                meta={"contest_id": contest.id, "commission": total_cut, "commission_bps": bps, "auto": auto,
                      "shares": {str(e.id): a for e, a, _p in shares}})
    db.session.add_all(awards)
    contest.awarded_at, contest.auto_awarded = utcnow(), auto
    winners = sorted({entry.provider_id for entry, _a, _p in shares})
    for provider_id in winners:
        request_recompute(provider_id)
    notifications.notify(winners, "contest_won", contest=contest.title)
    notifications.notify([contest.brand_id], "contest_awarded", actor=actor, contest=contest.title)
    webhooks.emit("contest.awarded", f"contest:{contest.id}",
                  {"contest_id": contest.id, "status": contest.status, "auto": auto,
                   "entry_ids": [e.id for e, _a, _p in shares]},
                  [contest.brand_id, *winners])
    db.session.flush()
    return awards


def award(actor: User, contest_id: int, entry_ids: list[int]) -> Contest:
    """The brand's pick: one active entry per prize, best first; entries close first (409 while open)."""
    contest = as_owner(actor, contest_id, "tender.award")
    if contest.status != ContestStatus.SELECTING:
        raise Conflict(_l("Winners are picked once entries have closed, and only once."), code="illegal_transition")
    active = {e.id: e for e in active_entries(contest)}
    check({"entry_ids": (len(entry_ids) != len(contest.prizes) or len(set(entry_ids)) != len(entry_ids)
                         or any(i not in active for i in entry_ids))
           and _l("Pick one different active entry for each prize (%(n)s), best first.", n=len(contest.prizes))})
    _pay(contest, [(active[i], prize.amount, prize) for i, prize in zip(entry_ids, contest.prizes, strict=True)],
         actor, auto=False)
    return contest


def finalists(contest: Contest) -> list[ContestEntry]:
    """Who shares the prize when the brand does not pick: the shortlist, else the highest-rated
    entries (every active entry when none is rated) — at least one whenever an entry exists."""
    active = sorted(active_entries(contest), key=lambda e: (-(e.rating or 0), e.submitted_at, e.id))
    chosen = [e for e in active if e.shortlisted]
    if not chosen and active:
        top = active[0].rating or 0
        chosen = [e for e in active if (e.rating or 0) == top]
    return chosen


def split_shares(total: int, n: int) -> list[int]:
    """`total` in `n` equal integer shares, the remainder of the division to the first."""
    share, rest = divmod(total, n)
    return [share + rest] + [share] * (n - 1)


def due_for_split(now: datetime) -> list[int]:
    return list(db.session.scalars(select(Contest.id).where(Contest.stored_status.in_(UNDECIDED),
                                                            Contest.selection_deadline <= now)
                                   .order_by(Contest.selection_deadline)))


def split_if_due(contest_id: int, now: datetime) -> str | None:
    """The worker, for one contest past its selection deadline: split the prize among the finalists
    (the award key: never both this and the brand's award), or, with no entry at all, refund the brand
    (the cancel key). None when the contest is no longer due (decided meanwhile)."""
    contest = locked_get(Contest, contest_id)
    if contest is None or contest.status != ContestStatus.SELECTING or contest.selection_deadline > now:
        return None
    chosen = finalists(contest)
    if not chosen:
        _refund(contest, None, reason="no entries")
        return "refunded"
    shares = split_shares(contest.prize_total, len(chosen))
    _pay(contest, [(entry, amount, None) for entry, amount in zip(chosen, shares, strict=True)], None, auto=True)
    return "split"


def _refund(contest: Contest, actor: User | None, *, reason: str) -> None:
    _move(contest, ContestStatus.CANCELLED)
    held = _take_escrow(contest)
    brand = db.session.get(User, contest.brand_id)
    ledger.post(cancel_key(contest.id), "contest_refund",
                [(held, -contest.prize_total), (ledger.wallet(brand, contest.currency), contest.prize_total)],
                memo=contest.title, actor_id=actor.id if actor else None,
                meta={"contest_id": contest.id, "reason": reason[:200]})
    contest.cancelled_at, contest.cancel_reason = utcnow(), reason[:1000] or None


def cancel(actor: User, contest_id: int) -> Contest:
    """The brand takes its prize back — only while no entry stands (409 `contest_has_entries` after)."""
    contest = as_owner(actor, contest_id, "milestone.fund")
    if contest.status not in UNDECIDED:
        raise Conflict(_l("This contest is already decided."), code="illegal_transition")
    if active_entries(contest):
        raise Conflict(_l("Providers have entered this contest: its prize is guaranteed and cannot be withdrawn."),
                       code="contest_has_entries")
    _refund(contest, actor, reason="cancelled by the brand")
    return contest


def staff_cancel(staff: User, contest_id: int, reason: str) -> Contest:
    """Staff end a contest that broke the rules, entries or not: the prize back to the brand (audited)."""
    if staff is None or not staff.is_admin:
        raise NotFound()
    reason = (reason or "").strip()
    check({"reason": not 5 <= len(reason) <= 1000 and _l("Say which rule the contest broke (5 to 1000 characters).")})
    contest = get(contest_id, lock=True)
    before = contest.status
    if before not in UNDECIDED:
        raise Conflict(_l("This contest is already decided."), code="illegal_transition")
    _refund(contest, staff, reason=reason)
    audit.record(staff, "contest.cancel", "contest", contest.id, before={"status": before},
                 after={"status": contest.status, "refund": contest.prize_total, "currency": contest.currency},
                 reason=reason, affected_user_id=contest.brand_id)
    notifications.notify([contest.brand_id, *{e.provider_id for e in active_entries(contest)}], "contest_cancelled",
                         contest=contest.title, reason=reason)
    return contest


def persist_passed_deadlines() -> int:
    """Store `selecting` on contests whose entry deadline passed (reads already see it)."""
    ids = [row.id for row in claim_rows(select(Contest.id).where(Contest.stored_status == ContestStatus.OPEN,
                                                                 Contest.entry_deadline <= utcnow()), Contest)]
    due = list(db.session.scalars(select(Contest).where(Contest.id.in_(ids)))) if ids else []  # locked just now
    for contest in due:
        change_status(contest, ContestStatus.SELECTING)
    return len(due)


def awards_of(contest: Contest) -> list[ContestAward]:
    return list(db.session.scalars(select(ContestAward).where(ContestAward.contest_id == contest.id)
                                   .order_by(ContestAward.rank)))


def search(status: str | None, page: int = 1, per_page: int = 20, q: str | None = None):
    """Public contests, newest first: undecided ones by default, or those of one status. With search words
    `q` (each must appear in the title or the brief: services/search_index.py) the best matches come first."""
    check({"q": q is not None and len(q) > search_index.MAX_QUERY_LENGTH
           and _l("Search at most %(n)s characters.", n=search_index.MAX_QUERY_LENGTH)})
    stmt = search_index.matching(select(Contest), Contest, search_index.query_terms(q))
    stmt = stmt.order_by(Contest.created_at.desc(), Contest.id.desc())
    if status in ContestStatus.__members__.values():
        stmt = stmt.where(Contest.status == status)
    else:
        stmt = stmt.where(Contest.stored_status.in_(UNDECIDED))
    return paginate(stmt, page, per_page)


def entry_counts(contest_ids: list[int]) -> dict[int, int]:
    """Active entries per contest, for lists (one query)."""
    if not contest_ids:
        return {}
    return dict(db.session.execute(select(ContestEntry.contest_id, func.count()).where(
        ContestEntry.contest_id.in_(contest_ids), ContestEntry.status == EntryStatus.ACTIVE)
        .group_by(ContestEntry.contest_id)).all())
