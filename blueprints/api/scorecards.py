"""Scorecards: the tender's panel, conflict declarations, private grades, closing grading, consensus,
and the board (issue 15)."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.openings import OpeningList, OpeningOut
from blueprints.api.schemas.scorecards import (
    BoardBid,
    BoardOut,
    BoardProvider,
    BoardRoundOut,
    ClosureOut,
    ConsensusIn,
    ConsensusOut,
    DeclarationIn,
    GraderOut,
    GradesIn,
    GradesOut,
    PanelIn,
    PanelOut,
    RoundIn,
    SeatOut,
)
from blueprints.api.schemas.tenders import CriterionIn
from services import bidding, disputes, permissions, scorecards

TAG = "Evaluation"


def _seat(m) -> SeatOut:
    return SeatOut(user_id=m.user_id, declared_at=m.declared_at, conflict=m.conflict, note=m.note or "")


@api_route("/tenders/<int:tender_id>/panel", "POST", summary="Name the tender's evaluators", tag=TAG,
           body=PanelIn, response=PanelOut, roles=("brand",), errors=(403, 404, 409, 422))
def set_panel(tender_id: int, body: PanelIn):
    """Members left out are taken off the panel; their declarations stay with the tender."""
    return PanelOut(members=[_seat(m) for m in scorecards.set_panel(current_api_user(), tender_id, body.user_ids)])


@api_route("/tenders/<int:tender_id>/declarations", "POST", summary="Declare conflicts of interest", tag=TAG,
           body=DeclarationIn, response=SeatOut, status=201, roles=("brand",), errors=(403, 404, 409, 422))
def declare(tender_id: int, body: DeclarationIn):
    """Once per panel member; bid contents stay 404 to it until then."""
    return _seat(scorecards.declare(current_api_user(), tender_id, body.conflict, body.note))


@api_route("/bids/<int:bid_id>/grades", "POST", summary="Grade a bid 0–10 per criterion", tag=TAG,
           body=GradesIn, response=GradesOut, status=201, roles=("brand",), errors=(403, 404, 409, 422))
def grade(bid_id: int, body: GradesIn):
    """Private to the grader until the round's grading closes; grading again replaces the marks given."""
    scorecards.grade(current_api_user(), bid_id, body.round, body.scores)
    return GradesOut(bid_id=bid_id, round=body.round, scores=body.scores)


@api_route("/tenders/<int:tender_id>/grading/close", "POST", summary="Close a round's grading", tag=TAG,
           body=RoundIn, response=ClosureOut, roles=("brand",), errors=(403, 404, 409, 422))
def close_grading(tender_id: int, body: RoundIn):
    """Marks become final and visible to the panel; bids failing a deal-breaker leave the running."""
    row = scorecards.close_grading(current_api_user(), tender_id, body.round)
    return ClosureOut(round=body.round, closed_at=row.closed_at)


@api_route("/bids/<int:bid_id>/consensus", "POST", summary="Settle a bid's consensus score", tag=TAG,
           body=ConsensusIn, response=ConsensusOut, roles=("brand",), errors=(403, 404, 409, 422))
def settle(bid_id: int, body: ConsensusIn):
    """0–100, after the round's grading closed; a reason when it is not the rounded weighted mean."""
    row = scorecards.settle(current_api_user(), bid_id, body.round, body.score, body.reason)
    return ConsensusOut(bid_id=bid_id, round=body.round, score=row.score, reason=row.note)


@api_route("/tenders/<int:tender_id>/board", summary="The scorecard board", tag=TAG, response=BoardOut,
           roles=("brand",), errors=(403, 404))
def board(tender_id: int):
    """Per scorecard round and bid: each grader's marks (after grading closes; before, the viewer's own),
    weighted totals, their mean and spread, and the consensus."""
    viewer = current_api_user()
    tender, rounds = scorecards.scoreboard(viewer, tender_id)
    blind = scorecards.names_hidden_from(viewer, tender)
    runs = permissions.allowed(viewer, "tender.settle", tender)
    return BoardOut(
        tender_id=tender.id, blind_grading=tender.blind_grading, disagreement_spread=scorecards.DISAGREEMENT_SPREAD,
        panel=[_seat(m) for m in tender.panel if m.active] if runs else None,
        rounds=[BoardRoundOut(
            round=r.kind, grading_closed_at=r.closed.closed_at if r.closed else None,
            criteria=[CriterionIn(name=c.name, weight=c.weight, deal_breaker=c.deal_breaker) for c in r.criteria],
            bids=[BoardBid(
                bid_id=ln.bid.id, status=ln.bid.status,
                provider=None if blind else BoardProvider(id=ln.bid.provider_id, name=ln.bid.provider.display_name),
                graders=[GraderOut(user_id=g.user_id, marks=g.marks, weighted_total=g.weighted_total)
                         for g in ln.graders],
                weighted_mean=ln.weighted_mean if r.closed else None, spread=ln.spread if r.closed else None,
                disagreement=bool(r.closed) and ln.disagreement, failed_deal_breakers=ln.failed_deal_breakers,
                consensus=ConsensusOut(bid_id=ln.bid.id, round=r.kind, score=ln.consensus.score,
                                       reason=ln.consensus.note or "")
                if ln.consensus is not None and ln.consensus.score is not None else None,
            ) for ln in r.lines],
        ) for r in rounds],
    )


def _openings(rows) -> OpeningList:
    return OpeningList(items=[OpeningOut(bid_id=o.bid_id, user_id=o.user_id, email=o.user.email, what=o.what,
                                         attachment_id=o.attachment_id, opened_at=o.opened_at) for o in rows])


@api_route("/tenders/<int:tender_id>/openings", summary="Who opened which bid, and when", tag=TAG,
           response=OpeningList, roles=("brand",), errors=(403, 404))
def tender_openings(tender_id: int):
    """Every view of a bid's contents and download of its files by a member of the brand."""
    return _openings(bidding.tender_openings(current_api_user(), tender_id)[1])


@api_route("/disputes/<int:dispute_id>/openings", summary="Who of the brand opened the tender's bids (staff)",
           tag=TAG, response=OpeningList, roles=("admin",), errors=(403, 404))
def dispute_openings(dispute_id: int):
    return _openings(disputes.dispute_openings(current_api_user(), dispute_id))
