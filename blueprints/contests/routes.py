"""Contest pages: the list (the tender hall's "Contests" filter), posting a contest, its page with the
entries gallery, and the entrant's and the brand's actions. Every rule is services.contests'."""
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.contests.forms import (
    AwardForm,
    ContestFilterForm,
    ContestForm,
    EntryForm,
    HandoverForm,
    OfferForm,
    RatingForm,
    ShortlistForm,
)
from blueprints.downloads import send_attachment, send_one_of, send_variant
from blueprints.reviews.forms import ReviewForm
from blueprints.web import ActionForm, filter_args, perform, role_required, submitted
from i18n import minor_units
from models.review import SCORE_FIELDS
from services import contest_handover, contest_purchases, contest_views, contests, previews, reviews
from services.contests import ContestInput

bp = Blueprint("contests", __name__, url_prefix="/contests")
PER_PAGE = 20


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.get("")
def index():
    form = ContestFilterForm(request.args)
    valid = form.validate()
    status, q = (form.status.data, form.q.data) if valid else (None, None)
    page = contests.search(status or None, form.page.data or 1, PER_PAGE, q=q or None)
    counts = contests.entry_counts([c.id for c in page.items])
    return render_template("contests/index.html", form=form, page=page, counts=counts, q=q,
                           args=filter_args("status", "q"))


def _prizes(text: str, currency: str) -> list[int] | None:
    try:
        amounts = [minor_units(Decimal(part.strip()), currency) for part in text.replace("，", ",").split(",")
                   if part.strip()]
    except InvalidOperation:
        return None
    return None if any(a is None for a in amounts) else amounts


@bp.route("/new", methods=["GET", "POST"])
@role_required("brand")
def new():
    """Post a contest: its prizes are funded from the wallet as it is published."""
    form = ContestForm()
    if form.validate_on_submit():
        prizes = _prizes(form.prizes.data, form.currency.data)
        if prizes is None:
            form.prizes.errors.append(_("Write the amounts as numbers separated by commas, e.g. 3000, 1000."))
        else:
            data = ContestInput(
                title=form.title.data, category=form.category.data, brief=form.brief.data, prizes=prizes,
                currency=form.currency.data,
                entry_deadline=form.entry_deadline.data.replace(tzinfo=ZoneInfo(current_user.timezone)),
                selection_days=form.selection_days.data, blind=form.blind.data,
                deliverable_spec=form.deliverable_spec.data or "",
                min_stars=int(form.min_stars.data) if form.min_stars.data else None, ip_terms=form.ip_terms.data,
                handover_days=form.handover_days.data)
            contest = perform(lambda: contests.publish(current_user, data), form=form)
            if contest:
                flash(_("Your contest is published and its prizes are held in escrow."), "success")
                return redirect(url_for("contests.detail", contest_id=contest.id))
    return render_template("contests/new.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/<int:contest_id>")
def detail(contest_id: int):
    viewer = _viewer()
    contest = contests.get(contest_id)
    is_owner = contests.is_owner(viewer, contest)
    entries = contest_views.visible_entries(viewer, contest) if contest_views.may_list(viewer, contest) else []
    awards = contests.awards_of(contest)
    awarded = {a.entry_id: a for a in awards}
    paid = contest_views.paid_entry_ids(contest) if entries else set()
    entry_count, shortlisted_count = contests.entry_counts_of(contest)
    entry_problem = None
    if viewer is not None and viewer.is_provider:
        problem = contests.entry_problem(viewer, contest)
        entry_problem = problem.message if problem is not None else None
    return render_template(
        "contests/detail.html", contest=contest, is_owner=is_owner, entries=entries, awarded=awarded,
        entry_count=entry_count, shortlisted_count=shortlisted_count,
        uploads=previews.uploads_for([e.current_file for e in entries]),
        can_enter=viewer is not None and viewer.is_provider and entry_problem is None, entry_problem=entry_problem,
        sees_private=lambda e: contest_views.sees_private(viewer, contest, e),
        original_allowed=lambda e: contest_views.original_allowed(viewer, contest, e, paid),
        offers=contest_purchases.page_state(viewer, contest, entries), offer_form=OfferForm(),
        my_awards=[a for a in awarded.values() if viewer is not None and a.entry.provider_id == viewer.account_id],
        handover_form=HandoverForm(), award_reviews=reviews.award_reviews(viewer, awards),
        award_review_form=ReviewForm(),
        entry_form=EntryForm(), rating_form=RatingForm(), shortlist_form=ShortlistForm(), award_form=AwardForm(),
        action_form=ActionForm(), stage=contest_views.stage_of(contest), entry_active=contest_views.entry_active)


def _back(contest_id: int, anchor: str = "entries"):
    return redirect(url_for("contests.detail", contest_id=contest_id) + f"#{anchor}")


@bp.post("/<int:contest_id>/entries")
@role_required("provider")
def submit(contest_id: int):
    form = EntryForm()
    if submitted(form):
        perform(lambda: contests.submit_entry(current_user, contest_id, form.note.data or "", form.file.data.stream,
                                              form.file.data.filename or ""),
                success=_("Your entry is in. You can revise or withdraw it until entries close."))
    return _back(contest_id)


@bp.post("/<int:contest_id>/entries/<int:entry_id>/withdraw")
@role_required("provider")
def withdraw(contest_id: int, entry_id: int):
    if submitted(ActionForm()):
        perform(lambda: contests.withdraw_entry(current_user, contest_id, entry_id), success=_("Entry withdrawn."))
    return _back(contest_id)


@bp.post("/<int:contest_id>/entries/<int:entry_id>/rating")
@role_required("brand")
def rate(contest_id: int, entry_id: int):
    form = RatingForm()
    if submitted(form):
        perform(lambda: contests.rate(current_user, contest_id, entry_id, int(form.rating.data), form.feedback.data),
                success=_("Rating saved. Only this entrant reads your feedback."))
    return _back(contest_id, f"entry-{entry_id}")


@bp.post("/<int:contest_id>/shortlist")
@role_required("brand")
def shortlist(contest_id: int):
    form = ShortlistForm()
    if submitted(form):
        perform(lambda: contests.shortlist(current_user, contest_id, form.entry_ids.data or []),
                success=_("Shortlist saved."))
    return _back(contest_id)


@bp.post("/<int:contest_id>/award")
@role_required("brand")
def award(contest_id: int):
    form = AwardForm()
    if submitted(form):
        perform(lambda: contests.award(current_user, contest_id, form.entry_ids.data or []),
                success=_("Prizes paid to the winners."))
    return _back(contest_id, "award")


@bp.post("/<int:contest_id>/cancel")
@role_required("brand")
def cancel(contest_id: int):
    if submitted(ActionForm()):
        perform(lambda: contests.cancel(current_user, contest_id),
                success=_("Contest cancelled; the prizes are back in your wallet."))
    return redirect(url_for("contests.detail", contest_id=contest_id))


@bp.post("/<int:contest_id>/entries/<int:entry_id>/offers")
@role_required("brand")
def offer(contest_id: int, entry_id: int):
    """The brand offers to buy an entry that won no prize."""
    form = OfferForm()
    if submitted(form):
        price = minor_units(form.price.data, contests.get(contest_id).currency)
        if price is None:
            flash(_("The price has more decimals than its currency allows."), "error")
        else:
            perform(lambda: contest_purchases.make_offer(current_user, contest_id, entry_id, price,
                                                         form.message.data or ""),
                    success=_("Offer sent. The entrant accepts or declines; you can withdraw it until then."))
    return _back(contest_id, f"entry-{entry_id}")


@bp.post("/<int:contest_id>/offers/<int:offer_id>/accept")
@role_required("provider")
def accept_offer(contest_id: int, offer_id: int):
    if submitted(ActionForm()):
        purchase = perform(lambda: contest_purchases.accept(current_user, contest_id, offer_id),
                           success=_("Offer accepted: the contract is funded. Deliver the full-resolution files "
                                     "on its milestone."))
        if purchase:
            return redirect(url_for("contracts.detail", contract_id=purchase.contract_id))
    return _back(contest_id)


@bp.post("/<int:contest_id>/offers/<int:offer_id>/decline")
@role_required("provider")
def decline_offer(contest_id: int, offer_id: int):
    if submitted(ActionForm()):
        perform(lambda: contest_purchases.decline(current_user, contest_id, offer_id), success=_("Offer declined."))
    return _back(contest_id)


@bp.post("/<int:contest_id>/offers/<int:offer_id>/withdraw")
@role_required("brand")
def withdraw_offer(contest_id: int, offer_id: int):
    if submitted(ActionForm()):
        perform(lambda: contest_purchases.withdraw(current_user, contest_id, offer_id),
                success=_("Offer withdrawn."))
    return _back(contest_id)


@bp.get("/<int:contest_id>/entries/<int:entry_id>/files/<int:file_id>")
def entry_file(contest_id: int, entry_id: int, file_id: int):
    viewer = _viewer()
    entry, stored = contest_views.entry_file(viewer, contest_id, entry_id, file_id)
    contest_views.check_original(viewer, entry.contest, entry)
    return send_attachment(stored)


@bp.get("/<int:contest_id>/entries/<int:entry_id>/files/<int:file_id>/<variant>")
def entry_file_variant(contest_id: int, entry_id: int, file_id: int, variant: str):
    _entry, stored = contest_views.entry_file(_viewer(), contest_id, entry_id, file_id)
    return send_variant(stored, variant)


@bp.post("/<int:contest_id>/awards/<int:award_id>/handover")
@role_required("provider")
def handover(contest_id: int, award_id: int):
    form = HandoverForm()
    if submitted(form):
        files = [(f.stream, f.filename or "") for f in form.files.data if f and f.filename]
        perform(lambda: contest_handover.deliver(current_user, contest_id, award_id, files),
                success=_("Files handed over. The brand confirms, or the handover confirms itself after the "
                          "handover period."))
    return _back(contest_id, "handover")


@bp.post("/<int:contest_id>/awards/<int:award_id>/confirm")
@role_required("brand")
def confirm_handover(contest_id: int, award_id: int):
    if submitted(ActionForm()):
        perform(lambda: contest_handover.confirm(current_user, contest_id, award_id),
                success=_("Handover confirmed."))
    return _back(contest_id, "handover")


@bp.get("/<int:contest_id>/awards/<int:award_id>/files/<int:file_id>")
def handover_file(contest_id: int, award_id: int, file_id: int):
    award = contest_handover.award_for(_viewer(), contest_id, award_id)
    return send_one_of(award.handover_files, file_id)


@bp.post("/<int:contest_id>/awards/<int:award_id>/review")
@role_required("brand", "provider")
def review(contest_id: int, award_id: int):
    """The contest's brand reviews a winner, or the winner the brand (services.reviews.submit_for_award)."""
    form = ReviewForm()
    if submitted(form):
        scores = {name: int(getattr(form, name).data) for name in SCORE_FIELDS}
        written = perform(lambda: reviews.submit_for_award(current_user, contest_id, award_id, scores,
                                                           form.comment.data or ""))
        if written:
            flash(_("Thank you. Both reviews are now published.") if reviews.is_published(written) else
                  _("Thank you. Your review is published once the other side has reviewed too, or %(days)s days "
                    "after the handover was confirmed.", days=reviews.WINDOW.days), "success")
    return _back(contest_id, f"award-{award_id}-reviews")
