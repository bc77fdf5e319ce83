"""Bids and their evaluation: submit, list, revise, withdraw, files, revisions; score, advance,
reject, schedule, award."""
from flask import request

from blueprints.api.presenters import bid_out, revision_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.bids import (
    AdvanceIn,
    AttachmentOut,
    AwardIn,
    AwardOut,
    BidIn,
    BidOut,
    BidPage,
    BidPatch,
    RejectBidIn,
    RevisionList,
    ScoreIn,
    SlotIn,
)
from blueprints.api.schemas.common import PageQuery
from blueprints.downloads import send_attachment
from extensions import db
from services import bidding, evaluation
from services.bidding import BidInput, MilestoneInput
from services.errors import Invalid, NotFound


def bid_input(body: BidIn) -> BidInput:
    return BidInput(amount=body.amount, currency=body.currency, delivery_days=body.delivery_days,
                    proposal=body.proposal, milestones=[MilestoneInput(**m.model_dump()) for m in body.milestones],
                    unit_price=body.unit_price, cap_per_period=body.cap_per_period)


@api_route("/tenders/<int:tender_id>/bids", "POST", summary="Bid on a tender", tag="Bids", body=BidIn,
           response=BidOut, status=201, roles=("provider",), errors=(403, 404, 409, 422))
def submit_bid(tender_id: int, body: BidIn):
    """One live bid per provider per tender; only while the tender is open; milestones sum to the amount."""
    return bid_out(bidding.submit_bid(current_api_user(), tender_id, bid_input(body)), current_api_user())


@api_route("/tenders/<int:tender_id>/bids", summary="Bids on a tender", tag="Bids", query=PageQuery,
           response=BidPage, errors=(403, 404))
def list_bids(tender_id: int, query: PageQuery):
    """The owner brand sees every bid (contents withheld under sealed opening until bidding closes);
    a provider sees only its own; anyone else gets 403."""
    viewer = current_api_user()
    bids = bidding.bids_for(viewer, tender_id)
    db.session.commit()  # a read that writes: the brand's openings are recorded
    start = (query.page - 1) * query.per_page
    return BidPage(items=[bid_out(b, viewer) for b in bids[start:start + query.per_page]],
                   page=query.page, per_page=query.per_page, total=len(bids))


@api_route("/bids/<int:bid_id>", summary="One bid", tag="Bids", response=BidOut, errors=(404,))
def get_bid(bid_id: int):
    viewer = current_api_user()
    bid = bidding.open_bid(viewer, bid_id)
    db.session.commit()  # a read that writes: the brand's opening is recorded
    return bid_out(bid, viewer)


@api_route("/bids/<int:bid_id>", "PATCH", summary="Revise a bid while the tender is open", tag="Bids",
           body=BidPatch, response=BidOut, roles=("provider",), errors=(404, 409, 422))
def revise_bid(bid_id: int, body: BidPatch):
    """Send only what changes (`{"proposal": …}`); the other fields keep their value, and the whole bid
    is checked again (a new `amount` on a fixed bid needs `milestones` that add up to it). The previous
    version is kept in its revisions. An empty body is 422."""
    changes = body.model_dump(exclude_unset=True)
    if "milestones" in changes:
        changes["milestones"] = None if changes["milestones"] is None else [
            MilestoneInput(**m) for m in changes["milestones"]]
    return bid_out(bidding.revise_bid_in_part(current_api_user(), bid_id, changes), current_api_user())


@api_route("/bids/<int:bid_id>/withdraw", "POST", summary="Withdraw a bid", tag="Bids", response=BidOut,
           roles=("provider",), errors=(404, 409))
def withdraw_bid(bid_id: int):
    return bid_out(bidding.withdraw_bid(current_api_user(), bid_id), current_api_user())


@api_route("/bids/<int:bid_id>/revisions", summary="Every version of a bid", tag="Bids",
           response=RevisionList, errors=(404,))
def bid_revisions(bid_id: int):
    viewer = current_api_user()
    bid = bidding.open_bid(viewer, bid_id)
    if not bidding.can_see_contents(viewer, bid):
        raise NotFound()
    db.session.commit()  # a read that writes: the brand's opening is recorded
    price = bidding.can_see_price(viewer, bid)
    return RevisionList(items=[revision_out(r, price) for r in bid.revisions])


@api_route("/bids/<int:bid_id>/attachments", "POST", summary="Attach a file to a bid (multipart `file`)",
           tag="Bids", response=AttachmentOut, status=201, roles=("provider",), errors=(404, 409, 413, 422),
           upload=True)
def upload_attachment(bid_id: int):
    """PDF, images, Word, Excel, PowerPoint, ZIP or MP4, up to 10 MB, decided by the file's content."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(fields={"file": "a multipart part named `file` is required"})
    att = bidding.attach_file(current_api_user(), bid_id, upload.stream, upload.filename or "")
    return AttachmentOut(id=att.id, filename=att.filename, content_type=att.content_type, size=att.size,
                         sha256=att.sha256, url=f"/api/v1/bids/{bid_id}/attachments/{att.id}")


@api_route("/bids/<int:bid_id>/attachments/<int:attachment_id>", summary="Download a bid's file", tag="Bids",
           errors=(404,), download=True)
def download_attachment(bid_id: int, attachment_id: int):
    att = bidding.attachment_for(current_api_user(), bid_id, attachment_id)
    db.session.commit()  # a read that writes: the brand's download is recorded
    return send_attachment(att)


# --- evaluation -------------------------------------------------------------------------------------

@api_route("/bids/<int:bid_id>/scores", "POST", summary="Score a bid in its current round", tag="Evaluation",
           body=ScoreIn, response=BidOut, roles=("brand",), errors=(403, 404, 409, 422))
def score_bid(bid_id: int, body: ScoreIn):
    evaluation.record_score(current_api_user(), bid_id, body.score, body.note)
    return bid_out(bidding.visible_bid(current_api_user(), bid_id), current_api_user())


@api_route("/bids/<int:bid_id>/advance", "POST", summary="Move a bid into the tender's next round",
           tag="Evaluation", body=AdvanceIn, response=BidOut, roles=("brand",),
           errors=(403, 404, 409, 422))
def advance_bid(bid_id: int, body: AdvanceIn):
    """`score` (0–100) and `note` are recorded for the round the bid leaves."""
    return bid_out(evaluation.advance_bid(current_api_user(), bid_id, body.score, body.note), current_api_user())


@api_route("/bids/<int:bid_id>/reject", "POST", summary="Reject a bid with a reason", tag="Evaluation",
           body=RejectBidIn, response=BidOut, roles=("brand",), errors=(403, 404, 409, 422))
def reject_bid(bid_id: int, body: RejectBidIn):
    return bid_out(evaluation.reject_bid(current_api_user(), bid_id, body.reason), current_api_user())


@api_route("/bids/<int:bid_id>/slots", "POST", summary="Book a pitch or site-visit slot for a bid",
           tag="Evaluation", body=SlotIn, response=BidOut, status=201, roles=("brand",),
           errors=(403, 404, 409, 422))
def schedule_slot(bid_id: int, body: SlotIn):
    evaluation.schedule_slot(current_api_user(), bid_id, starts_at=body.starts_at, location=body.location,
                             duration_minutes=body.duration_minutes, note=body.note)
    return bid_out(bidding.visible_bid(current_api_user(), bid_id), current_api_user())


@api_route("/tenders/<int:tender_id>/award", "POST", summary="Award one bid; creates the contract",
           tag="Evaluation", body=AwardIn, response=AwardOut, status=201, roles=("brand",),
           errors=(403, 404, 409))
def award(tender_id: int, body: AwardIn):
    """Exactly one award per tender, ever: a second (or a concurrent twin) answers 409."""
    contract = evaluation.award(current_api_user(), tender_id, body.bid_id)
    return AwardOut(contract_id=contract.id)
