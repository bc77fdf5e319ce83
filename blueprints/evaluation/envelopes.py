"""The board's two-envelope and best-and-final-offer forms (issue 15). Thin: each form is one service call."""
from zoneinfo import ZoneInfo

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.bids.forms import BafoForm, TechnicalForm
from blueprints.evaluation.routes import bp
from blueprints.web import ActionForm, perform, role_required
from services import bafo, bidding, envelopes


def _board(tender_id: int, anchor: str = ""):
    return redirect(url_for("evaluation.board", tender_id=tender_id) + anchor)


@bp.post("/tenders/<int:tender_id>/envelopes/technical")
@role_required("brand")
def open_technical(tender_id: int):
    if ActionForm().validate_on_submit():
        perform(lambda: envelopes.open_technical(current_user, tender_id),
                success=_("Technical envelopes opened; every bidder is told. Prices stay sealed."))
    return _board(tender_id)


@bp.post("/bids/<int:bid_id>/technical")
@role_required("brand")
def judge_technical(bid_id: int):
    tender_id = bidding.visible_bid(current_user, bid_id).tender_id
    form = TechnicalForm()
    if form.validate_on_submit():
        perform(lambda: envelopes.judge(current_user, bid_id, form.verdict.data == "pass", form.reason.data or ""),
                success=_("Verdict recorded."))
    return _board(tender_id, f"#bid-{bid_id}")


@bp.post("/tenders/<int:tender_id>/envelopes/price")
@role_required("brand")
def open_prices(tender_id: int):
    if ActionForm().validate_on_submit():
        perform(lambda: envelopes.open_prices(current_user, tender_id),
                success=_("Price envelopes opened; every bidder is told."))
    return _board(tender_id)


@bp.post("/tenders/<int:tender_id>/bafo")
@role_required("brand")
def open_bafo(tender_id: int):
    form = BafoForm()
    if form.validate_on_submit():
        closes = form.closes_at.data.replace(tzinfo=ZoneInfo(current_user.timezone))
        perform(lambda: bafo.open_round(current_user, tender_id, form.bid_ids.data, closes),
                success=_("The chosen providers are asked for their best and final offers."))
    elif form.is_submitted():  # the board has no room for the form's errors: they go with a message
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return _board(tender_id, "#bafo")
