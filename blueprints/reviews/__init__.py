"""Review pages: write a review from the contract, reply, report; staff handle reports."""
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.reviews.forms import ReasonForm, ReplyForm, ReviewForm
from blueprints.web import perform, role_required
from extensions import db
from models import Review
from models.review import SCORE_FIELDS
from services import reviews

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.post("/contract/<int:contract_id>")
@role_required("brand", "provider")
def submit(contract_id: int):
    form = ReviewForm()
    if form.validate_on_submit():
        scores = {name: int(getattr(form, name).data) for name in SCORE_FIELDS}
        perform(lambda: reviews.submit(current_user, contract_id, scores, form.comment.data or ""),
                success=_("Thank you. Your review is published once the other side has reviewed too, or 14 days "
                          "after the contract ends."))
    return redirect(url_for("contracts.detail", contract_id=contract_id) + "#reviews")


def _back_to_contract(review_id: int):
    review = db.get_or_404(Review, review_id)
    return redirect(url_for("contracts.detail", contract_id=review.contract_id) + "#reviews")


@bp.post("/<int:review_id>/reply")
@role_required("provider")
def reply(review_id: int):
    form = ReplyForm()
    if form.validate_on_submit():
        perform(lambda: reviews.reply(current_user, review_id, form.reply.data or ""), success=_("Reply published."))
    return _back_to_contract(review_id)


@bp.post("/<int:review_id>/report")
@role_required("brand", "provider")
def report(review_id: int):
    form = ReasonForm()
    if form.validate_on_submit():
        perform(lambda: reviews.report(current_user, review_id, form.reason.data or ""),
                success=_("Reported. Platform staff will look at it."))
    return _back_to_contract(review_id)


@bp.get("/reports")
@role_required("admin")
def reports():
    return render_template("reviews/reports.html", reports=reviews.open_reports(), form=ReasonForm())


@bp.post("/<int:review_id>/hide")
@role_required("admin")
def hide(review_id: int):
    form = ReasonForm()
    if form.validate_on_submit():
        perform(lambda: reviews.hide(current_user, review_id, form.reason.data or ""),
                success=_("The review is hidden; the reason is on record."))
    return redirect(url_for("reviews.reports"))
