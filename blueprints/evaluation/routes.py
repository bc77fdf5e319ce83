"""The brand's evaluation board: compare bids round by round, score, advance, reject, book, award."""
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.bids.forms import BafoForm, RejectBidForm, ScoreForm, SlotForm, TechnicalForm
from blueprints.web import ActionForm, perform, role_required
from extensions import db
from services import bafo, bidding, envelopes, evaluation, permissions, tenders

bp = Blueprint("evaluation", __name__)


@bp.get("/tenders/<int:tender_id>/evaluate")
@role_required("brand", "admin")
def board(tender_id: int):
    tender, by_round, out = evaluation.board(current_user, tender_id)
    db.session.commit()  # a read that writes: the brand's openings are recorded
    return render_template("evaluation/board.html", tender=tender, by_round=by_round, out=out,
                           score_form=ScoreForm(), reject_form=RejectBidForm(), slot_form=SlotForm(),
                           technical_form=TechnicalForm(), bafo_form=BafoForm(),
                           envelope_actions=envelopes.allowed_actions(tender, current_user),
                           may_open_bafo=bafo.may_open(current_user, tender), price_visible=bidding.can_see_price,
                           first_offer_visible=bidding.can_see_first_offer,
                           shortlisted=bafo.shortlisted, viewer=current_user,
                           action_form=ActionForm(),
                           sealed=tender.bids_are_hidden_from_brand or tender.technical_sealed,
                           blind=permissions.blind_to(current_user, tender),
                           bidding_open=tenders.bidding_open(tender), under_evaluation=evaluation.under_evaluation)


def _back(bid_id: int):
    return redirect(url_for("evaluation.board", tender_id=bidding.visible_bid(current_user, bid_id).tender_id)
                    + f"#bid-{bid_id}")


@bp.post("/bids/<int:bid_id>/score")
@role_required("brand")
def score(bid_id: int):
    form = ScoreForm()
    if form.validate_on_submit():
        perform(lambda: evaluation.record_score(current_user, bid_id, form.score.data, form.note.data or ""),
                success=_("Score saved."))
    return _back(bid_id)


@bp.post("/bids/<int:bid_id>/advance")
@role_required("brand")
def advance(bid_id: int):
    form = ScoreForm()
    if form.validate_on_submit():
        perform(lambda: evaluation.advance_bid(current_user, bid_id, form.score.data, form.note.data or None),
                success=_("The bid moves on to the next round; the provider is told."))
    return _back(bid_id)


@bp.post("/bids/<int:bid_id>/reject")
@role_required("brand")
def reject(bid_id: int):
    form = RejectBidForm()
    if form.validate_on_submit():
        perform(lambda: evaluation.reject_bid(current_user, bid_id, form.reason.data or ""),
                success=_("The bid is rejected; the provider sees your reason."))
    return _back(bid_id)


@bp.post("/bids/<int:bid_id>/slots")
@role_required("brand")
def slot(bid_id: int):
    form = SlotForm()
    if form.validate_on_submit():
        starts = form.starts_at.data.replace(tzinfo=ZoneInfo(current_user.timezone))
        perform(lambda: evaluation.schedule_slot(current_user, bid_id, starts_at=starts,
                                                 location=form.location.data,
                                                 duration_minutes=form.duration_minutes.data,
                                                 note=form.note.data or ""),
                success=_("Appointment booked; the provider sees it on the tender page."))
    return _back(bid_id)


@bp.post("/tenders/<int:tender_id>/award/<int:bid_id>")
@role_required("brand")
def award(tender_id: int, bid_id: int):
    if ActionForm().validate_on_submit():
        contract = perform(lambda: evaluation.award(current_user, tender_id, bid_id),
                           success=_("Awarded. The contract and its milestones are ready."))
        if contract:
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return redirect(url_for("evaluation.board", tender_id=tender_id))
