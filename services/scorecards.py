"""Scorecards (issue 15): weighted criteria per tender round, a panel that grades each bid 0–10 per
criterion in private, and the round's owner closing grading and settling a consensus score.

- Criteria come with the tender: per round, ordinary criteria whose weights sum to 100, and optional
  deal-breakers (no weight). A bid whose graders' mean mark on a deal-breaker is below DEAL_BREAKER_PASS
  fails it, and closing the round's grading takes it out of the running.
- A grader's weighted total is Σ weight × mark / 10 (0–100), counted once it has marked every weighted
  criterion. The board shows each grader's marks only after grading closes; before, each grader sees its
  own. Totals further apart than DISAGREEMENT_SPREAD are flagged.
- The consensus is the round's BidScore (the one the existing board, shortlist and award read); it needs a
  reason when it differs from the rounded weighted mean.
- Panel members must declare conflicts of interest before bid contents open to them
  (permissions.may_open_bids); a declared conflict is shown to those who run the tender, who may take the
  member off the panel (its declaration stays with the tender).
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Bid, BidScore, Grade, GradingClosure, PanelMember, Tender, TenderCriterion, User
from models.bid import BidStatus
from models.scorecard import MARK_RANGE
from models.tender import TenderStatus
from models.types import utcnow
from services import destinations, notifications, permissions
from services.bidding import decide_bid
from services.criteria import CriterionInput, criteria_rows  # noqa: F401 (re-exported for callers)
from services.errors import Conflict, Forbidden, NotFound, check
from services.tenders import get_tender, owned_tender

DEAL_BREAKER_PASS = 5  # a deal-breaker's mean mark below this fails the bid
DISAGREEMENT_SPREAD = 20  # points (of 100) between the highest and lowest grader's total
PANEL_ROLES = ("owner", "procurement", "evaluator")  # the roles that may grade


def round_index(tender: Tender, kind: str) -> int:
    """The index of round `kind` of the tender, which must have a scorecard."""
    check({"round": kind not in tender.rounds and _l("Not one of the tender's rounds.")})
    index = tender.rounds.index(kind)
    if not round_criteria(tender, index):
        raise Conflict(_l("This round has no scorecard."), code="no_scorecard")
    return index


def _run(actor: User | None, tender_id: int, action: str) -> Tender:
    """The tender, row-locked, for a member of its brand whose role may do `action`; another
    organisation's member gets 404 (it has no business with this tender's evaluation)."""
    tender = get_tender(tender_id, viewer=actor)
    if actor is None or actor.account_id != tender.brand_id:
        raise NotFound()
    return owned_tender(actor, tender_id, action)


def round_criteria(tender: Tender, index: int) -> list[TenderCriterion]:
    return [c for c in tender.criteria if c.round_index == index]


def closure(tender: Tender, index: int) -> GradingClosure | None:
    return db.session.scalar(select(GradingClosure).where(GradingClosure.tender_id == tender.id,
                                                          GradingClosure.round_index == index))


# --- the panel and its declarations ---------------------------------------------------------------

def set_panel(actor: User, tender_id: int, user_ids: list[int]) -> list[PanelMember]:
    """Make `user_ids` the tender's evaluators: members of its organisation whose role may grade. Members
    left out are taken off (their declarations stay)."""
    tender = _run(actor, tender_id, "tender.panel")
    if tender.status not in (TenderStatus.OPEN, TenderStatus.EVALUATING):
        raise Conflict(_l("The panel can change until the award."), code="illegal_transition")
    wanted = list(dict.fromkeys(user_ids))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}
    check({"user_ids": (len(wanted) > 50 or any(
        u is None or u.account_id != tender.brand_id or u.is_admin or (u.org_role or "owner") not in PANEL_ROLES
        for u in (users.get(i) for i in wanted)))
        and _l("Choose members of your organisation who may grade (owner, procurement or evaluator).")})
    seats = {m.user_id: m for m in tender.panel}
    now = utcnow()
    for user_id, seat in seats.items():
        if user_id not in wanted and seat.active:
            seat.removed_at = now
    for user_id in wanted:
        if user_id in seats:
            seats[user_id].removed_at = None
        else:
            tender.panel.append(PanelMember(user_id=user_id, added_at=now))
    db.session.flush()
    return [m for m in tender.panel if m.active]


def declare(actor: User, tender_id: int, conflict: bool, note: str | None = None) -> PanelMember:
    """The panel member's conflict-of-interest declaration for this tender, once."""
    tender = get_tender(tender_id, viewer=actor)
    if actor is None or actor.account_id != tender.brand_id:
        raise NotFound()
    seat = permissions.panel_seat(actor, tender)
    if seat is None:
        raise Forbidden(_l("Only the tender's panel members declare conflicts of interest."), code="not_on_panel")
    if seat.declared_at is not None:
        raise Conflict(_l("You have already declared for this tender."), code="already_declared")
    note = (note or "").strip()
    check({"note": (len(note) > 2000 and _l("At most 2000 characters."))
           or (conflict and len(note) < 3 and _l("Say what the relation is."))})
    seat.declared_at, seat.conflict, seat.note = utcnow(), bool(conflict), note
    return seat


# --- grading --------------------------------------------------------------------------------------

def _gradable(actor: User, bid_id: int, kind: str) -> tuple[Bid, int]:
    bid = db.session.get(Bid, bid_id)
    if bid is None or actor is None or actor.account_id != bid.tender.brand_id:
        raise NotFound()
    tender = bid.tender
    permissions.require(actor, "tender.evaluate", tender)
    seat = permissions.panel_seat(actor, tender)
    if seat is None:
        raise Forbidden(_l("Only the tender's panel members grade its bids."), code="not_on_panel")
    if seat.declared_at is None:
        raise NotFound()  # bid contents stay closed until the member has declared
    index = round_index(tender, kind)
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict(_l("Bids are evaluated once bidding has closed and before the award."),
                       code="illegal_transition")
    if tender.technical_sealed:
        raise Conflict(_l("Open the technical envelopes first."), code="technical_sealed")
    if closure(tender, index) is not None:
        raise Conflict(_l("Grading of this round has closed."), code="grading_closed")
    if not bid.live or bid.round_index < index:
        raise Conflict(_l("This bid is not in that round."), code="not_in_round")
    return bid, index


def grade(actor: User, bid_id: int, kind: str, scores: dict[str, int | None]) -> list[Grade]:
    """Record (or replace) the grader's marks of the bid in round `kind`, 0–10 per criterion by name (a
    mark that is not a whole number arrives as None and is refused with the range)."""
    bid, index = _gradable(actor, bid_id, kind)
    by_name = {c.name: c for c in round_criteria(bid.tender, index)}
    unknown = [n for n in scores if n not in by_name]
    check({"scores": (not scores and _l("Mark at least one criterion."))
           or (unknown and _l("Unknown criteria: %(names)s.", names=", ".join(unknown)))
           or (any(not isinstance(v, int) or not MARK_RANGE[0] <= v <= MARK_RANGE[1] for v in scores.values())
               and _l("Marks run from %(low)s to %(high)s.", low=MARK_RANGE[0], high=MARK_RANGE[1]))})
    mine = {g.criterion_id: g for g in db.session.scalars(
        select(Grade).where(Grade.bid_id == bid.id, Grade.grader_id == actor.id))}
    rows = []
    for name, mark in scores.items():
        criterion = by_name[name]
        row = mine.get(criterion.id) or Grade(bid_id=bid.id, grader_id=actor.id, criterion_id=criterion.id)
        row.mark = mark
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def close_grading(actor: User, tender_id: int, kind: str) -> GradingClosure:
    """Close the round's grading: marks become final and visible to the panel; bids failing a
    deal-breaker leave the running."""
    tender = _run(actor, tender_id, "tender.settle")
    index = round_index(tender, kind)
    if tender.status != TenderStatus.EVALUATING:
        raise Conflict(_l("Bids are evaluated once bidding has closed and before the award."),
                       code="illegal_transition")
    if closure(tender, index) is not None:
        raise Conflict(_l("Grading of this round has closed."), code="grading_closed")
    row = GradingClosure(tender_id=tender.id, round_index=index, closed_by_id=actor.id)
    db.session.add(row)
    db.session.flush()  # the unique (tender, round) refuses a racing second close
    for line in _lines(tender, index, _all_grades(tender)):
        if line.failed_deal_breakers and line.bid.live and line.bid.round_index == index:
            reason = str(_l("Failed a deal-breaker criterion: %(names)s.", names=", ".join(line.failed_deal_breakers)))
            decide_bid(line.bid, BidStatus.REJECTED, reason)
            notifications.notify([line.bid.provider_id], "bid_rejected", to=destinations.tender(tender.id),
                                 tender=tender.title, reason=reason)
    return row


# --- the board ------------------------------------------------------------------------------------

@dataclass
class GraderMarks:
    user_id: int
    marks: dict[str, int]
    weighted_total: float | None


@dataclass
class BoardLine:
    bid: Bid
    graders: list[GraderMarks] = field(default_factory=list)
    failed_deal_breakers: list[str] = field(default_factory=list)
    consensus: BidScore | None = None

    @property
    def totals(self) -> list[float]:
        return [g.weighted_total for g in self.graders if g.weighted_total is not None]

    @property
    def weighted_mean(self) -> float | None:
        return round(sum(self.totals) / len(self.totals), 2) if self.totals else None

    @property
    def spread(self) -> float | None:
        return round(max(self.totals) - min(self.totals), 2) if self.totals else None

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread > DISAGREEMENT_SPREAD


@dataclass
class BoardRound:
    kind: str
    index: int
    criteria: list[TenderCriterion]
    closed: GradingClosure | None
    lines: list[BoardLine]


def _all_grades(tender: Tender) -> list[Grade]:
    return list(db.session.scalars(select(Grade).join(Bid, Bid.id == Grade.bid_id)
                                   .where(Bid.tender_id == tender.id).order_by(Grade.grader_id, Grade.id)))


def _lines(tender: Tender, index: int, grades: list[Grade], only_grader: int | None = None) -> list[BoardLine]:
    criteria = round_criteria(tender, index)
    by_id = {c.id: c for c in criteria}
    weighted = [c for c in criteria if not c.deal_breaker]
    lines = []
    for bid in tender.bids:
        if bid.round_index < index or bid.status == BidStatus.WITHDRAWN:
            continue
        line = BoardLine(bid=bid, consensus=bid.score_in(index))
        marks: dict[int, dict[str, int]] = {}
        for g in grades:
            if g.bid_id == bid.id and g.criterion_id in by_id:
                marks.setdefault(g.grader_id, {})[by_id[g.criterion_id].name] = g.mark
        for grader_id, given in marks.items():
            complete = all(c.name in given for c in weighted)
            total = round(sum(c.weight * given[c.name] for c in weighted) / MARK_RANGE[1], 2) if complete else None
            line.graders.append(GraderMarks(grader_id, given, total))
        for c in criteria:
            if c.deal_breaker:
                given = [m[c.name] for m in marks.values() if c.name in m]
                if given and sum(given) / len(given) < DEAL_BREAKER_PASS:
                    line.failed_deal_breakers.append(c.name)
        if only_grader is not None:
            line.graders = [g for g in line.graders if g.user_id == only_grader]
            line.failed_deal_breakers = []
        lines.append(line)
    return lines


def may_see_board(actor: User | None, tender: Tender) -> bool:
    return actor is not None and actor.account_id == tender.brand_id and (
        permissions.allowed(actor, "tender.settle", tender) or permissions.on_panel(actor, tender))


def scoreboard(actor: User, tender_id: int) -> tuple[Tender, list[BoardRound]]:
    """Each scorecard round's bids with the marks the actor may see: before the round's grading closes
    only its own, after it everyone's with the totals, spread and consensus."""
    tender = get_tender(tender_id, viewer=actor)
    if actor is None or actor.account_id != tender.brand_id:
        raise NotFound()
    if not may_see_board(actor, tender):
        raise Forbidden(_l("Only those running the tender and its panel see the board."), code="role_forbidden")
    if not permissions.may_open_bids(actor, tender):
        raise NotFound()
    grades = _all_grades(tender)
    rounds = []
    for index, kind in enumerate(tender.rounds if not tender.technical_sealed else ()):
        criteria = round_criteria(tender, index)
        if not criteria:
            continue
        closed = closure(tender, index)
        lines = _lines(tender, index, grades, only_grader=None if closed else actor.id)
        rounds.append(BoardRound(kind, index, criteria, closed, lines))
    return tender, rounds


def names_hidden_from(actor: User, tender: Tender) -> bool:
    """Blind grading: graders who do not run the tender do not see who bid."""
    return permissions.blind_to(actor, tender)


def settle(actor: User, bid_id: int, kind: str, score: int | None, reason: str | None = None) -> BidScore:
    """The consensus score (0–100) of the bid in a closed round; a reason when it is not the rounded
    weighted mean of the graders' totals."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or actor is None or actor.account_id != bid.tender.brand_id:
        raise NotFound()
    tender = _run(actor, bid.tender_id, "tender.settle")
    index = round_index(tender, kind)
    if closure(tender, index) is None:
        raise Conflict(_l("Close the round's grading before settling a consensus."), code="grading_open")
    if tender.status != TenderStatus.EVALUATING or not bid.live and bid.status != BidStatus.AWARDED:
        raise Conflict(_l("This bid is no longer in the running."), code="illegal_transition")
    line = next((ln for ln in _lines(tender, index, _all_grades(tender)) if ln.bid.id == bid.id), None)
    if line is None:
        raise Conflict(_l("This bid is not in that round."), code="not_in_round")
    reason = (reason or "").strip()
    differs = line.weighted_mean is None or round(line.weighted_mean) != score
    check({"score": (not isinstance(score, int) or not 0 <= score <= 100) and _l("Score from 0 to 100."),
           "reason": (differs and len(reason) < 3 and _l("Say why the consensus differs from the graders' mean."))
           or (len(reason) > 2000 and _l("At most 2000 characters."))})
    row = bid.score_in(index)
    if row is None:
        row = BidScore(round_index=index)
        bid.scores.append(row)
    row.score, row.note = score, reason
    db.session.flush()
    return row
