"""Review pages: write a review from the contract, reply, report; staff hide or keep reported reviews.

The forms sit far down the contract page (or a provider's page), so what a POST has to say is shown
next to the form it came from (`review_notices` in templates/reviews/_macros.html), not as a flash at
the top of the page the browser has scrolled away from."""
from flask import Blueprint, abort, flash, get_flashed_messages, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.reviews.forms import HideForm, KeepForm, ReasonForm, ReplyForm, ReviewForm
from blueprints.web import perform, role_required, submitted
from extensions import db
from models import Review
from models.review import SCORE_FIELDS
from services import reviews

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

NOTICES = "review_notices"
FORMS = {"reply": ReplyForm, "report": ReasonForm, "hide": HideForm, "keep": KeepForm}


@bp.app_template_global()
def review_form(kind: str):
    """A blank form for the review macros, which any page may use without its view passing forms."""
    return FORMS[kind]()


@bp.app_template_global()
def reviews_reported(shown) -> set[int]:
    """Ids of the shown reviews the signed-in user has reported (one query for the whole list)."""
    return reviews.reported_by(current_user, [r.id for r in shown])


@bp.app_template_global()
def review_is_public(review) -> bool:
    return reviews.is_published(review)


@bp.app_template_global()
def review_notices(anchor: str) -> list:
    """The messages of the POST that came back to `anchor`, shown once."""
    notice = session.get(NOTICES)
    if not notice or notice["anchor"] != anchor:
        return []
    return session.pop(NOTICES)["messages"]


def _back(url: str, anchor: str):
    """Return to the form the user sent, carrying this request's flashed messages there."""
    session[NOTICES] = {"anchor": anchor, "messages": get_flashed_messages(with_categories=True)}
    return redirect(f"{url}#{anchor}")


def _back_to_review(review_id: int):
    """To the review on its contract's (or contest's) page, or, for someone outside it, on its subject's
    page."""
    review = db.get_or_404(Review, review_id)
    occasion = reviews.occasion_of(review)
    if reviews.is_party(current_user, occasion):
        page = occasion.page()
        return _back(url_for(page.endpoint, **page.args), f"review-{review_id}")
    if not reviews.visible_to(review, current_user):
        abort(404)  # a review this reader cannot see does not exist for them, nor whose it is
    if review.author_role == "provider":  # a provider's review of a brand is read on the brand's page
        return _back(url_for("brands.detail", brand_id=occasion.brand_id), f"review-{review_id}")
    return _back(url_for("providers.detail", provider_id=occasion.provider_id), f"review-{review_id}")


@bp.post("/contract/<int:contract_id>")
@role_required("brand", "provider")
def submit(contract_id: int):
    form = ReviewForm()
    if submitted(form):
        scores = {name: int(getattr(form, name).data) for name in SCORE_FIELDS}
        review = perform(lambda: reviews.submit(current_user, contract_id, scores, form.comment.data or ""))
        if review:  # the second review publishes both at once
            flash(_("Thank you. Both reviews are now published.") if reviews.is_published(review) else
                  _("Thank you. Your review is published once the other side has reviewed too, or %(days)s days "
                    "after the contract ends.", days=reviews.WINDOW.days), "success")
    # A contract has two reviews at most: the section's top is in sight of its form.
    return _back(url_for("contracts.detail", contract_id=contract_id), "reviews")


@bp.post("/<int:review_id>/reply")
@role_required("provider")
def reply(review_id: int):
    form = ReplyForm()
    if submitted(form):
        perform(lambda: reviews.reply(current_user, review_id, form.reply.data), success=_("Reply published."))
    return _back_to_review(review_id)


@bp.post("/<int:review_id>/report")
@login_required
def report(review_id: int):
    """Anyone signed in who can read the review (a party, or anyone once it is published)."""
    form = ReasonForm()
    if submitted(form):
        perform(lambda: reviews.report(current_user, review_id, form.reason.data),
                success=_("Reported. Platform staff will look at it."))
    return _back_to_review(review_id)


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.get("/reports")
@role_required("admin")
def reports():
    """Reviews with open reports, one card per review with its reports, 20 a page."""
    page = reviews.report_queue(_page())
    if page.page > page.pages >= 1:  # the last one on this page was just decided: the new last page
        return redirect(url_for("reviews.reports", page=page.pages))
    return render_template("reviews/reports.html", page=page)


def _decided(review_id: int):
    """Back to where staff decided: the contract page (?back=contract) or the same page of the queue."""
    if request.args.get("back") == "contract":
        return _back_to_review(review_id)
    return redirect(url_for("reviews.reports", page=_page()))


def _decide(review_id: int, form, decision, success: str):
    """Staff's decision on a reported review (reviews.hide or reviews.keep), with the form's reason."""
    if submitted(form):
        perform(lambda: decision(current_user, review_id, form.reason.data), success=success)
    return _decided(review_id)


@bp.post("/<int:review_id>/hide")
@role_required("admin")
def hide(review_id: int):
    return _decide(review_id, HideForm(), reviews.hide, _("The review is hidden; the reason is on record."))


@bp.post("/<int:review_id>/keep")
@role_required("admin")
def keep(review_id: int):
    return _decide(review_id, KeepForm(), reviews.keep,
                   _("The review stays up; its reports are closed and the reporters have been told."))
