"""The scorecard page: the panel and its declarations, private grading, closing a round, the consensus
and who opened which bid (issue 15). Thin: each form is one service call."""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.evaluation import forms
from blueprints.evaluation.routes import bp
from blueprints.web import ActionForm, perform, role_required
from services import bidding, organisations, permissions, scorecards
from services.tenders import get_tender


@bp.get("/tenders/<int:tender_id>/scorecard")
@role_required("brand")
def scorecard(tender_id: int):
    """Before declaring, a panel member sees only the declaration; then its grading forms and the board."""
    tender = get_tender(tender_id, viewer=current_user)
    seat = permissions.panel_seat(current_user, tender) if current_user.account_id == tender.brand_id else None
    runs = current_user.account_id == tender.brand_id and permissions.allowed(current_user, "tender.settle", tender)
    rounds, openings, candidates = [], [], []
    if seat is None or seat.declared_at is not None:
        tender, rounds = scorecards.scoreboard(current_user, tender_id)
    if runs:
        openings = bidding.openings_of(tender)
        candidates = [m for m in organisations.members(organisations.organisation_of(current_user))
                      if m.role in scorecards.PANEL_ROLES]
    return render_template("evaluation/scorecard.html", tender=tender, seat=seat, rounds=rounds, runs=runs,
                           openings=openings, candidates=candidates, form=ActionForm(),
                           panel_ids={m.user_id for m in tender.panel if m.active},
                           blind=scorecards.names_hidden_from(current_user, tender),
                           spread_limit=scorecards.DISAGREEMENT_SPREAD)


def _back(tender_id: int, anchor: str = ""):
    return redirect(url_for("evaluation.scorecard", tender_id=tender_id) + anchor)


@bp.post("/tenders/<int:tender_id>/scorecard/panel")
@role_required("brand")
def panel(tender_id: int):
    if ActionForm().validate_on_submit():
        ids = forms.whole_numbers(request.form.getlist("user_ids"))
        perform(lambda: scorecards.set_panel(current_user, tender_id, ids), success=_("Panel saved."))
    return _back(tender_id)


@bp.post("/tenders/<int:tender_id>/scorecard/declaration")
@role_required("brand")
def declaration(tender_id: int):
    if ActionForm().validate_on_submit():
        conflict = request.form.get("conflict") == "yes"
        perform(lambda: scorecards.declare(current_user, tender_id, conflict, request.form.get("note")),
                success=_("Declaration recorded."))
    return _back(tender_id)


def _on_bid(bid_id: int, action, success: str):
    """A scorecard form about one bid: run `action(bid)` (one service call) and return to the bid's row."""
    bid = bidding.visible_bid(current_user, bid_id)
    if ActionForm().validate_on_submit():
        perform(lambda: action(bid), success=success)
    return _back(bid.tender_id, f"#bid-{bid_id}")


@bp.post("/bids/<int:bid_id>/scorecard/grades")
@role_required("brand")
def grades(bid_id: int):
    return _on_bid(bid_id, lambda bid: scorecards.grade(
        current_user, bid_id, request.form.get("round", ""), forms.marks(request.form, bid.tender.criteria)),
        success=_("Marks saved."))


@bp.post("/tenders/<int:tender_id>/scorecard/close")
@role_required("brand")
def close(tender_id: int):
    if ActionForm().validate_on_submit():
        perform(lambda: scorecards.close_grading(current_user, tender_id, request.form.get("round", "")),
                success=_("Grading closed: every grader's marks are on the board."))
    return _back(tender_id)


@bp.post("/bids/<int:bid_id>/scorecard/consensus")
@role_required("brand")
def consensus(bid_id: int):
    return _on_bid(bid_id, lambda bid: scorecards.settle(
        current_user, bid_id, request.form.get("round", ""), forms.whole_number(request.form.get("score")),
        request.form.get("reason")), success=_("Consensus score saved."))
