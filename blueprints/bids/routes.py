"""Provider pages for bids: the bid form (new or revised), files, withdrawing, the bid's own page."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.bids.forms import BidForm
from blueprints.downloads import send_attachment, send_variant
from blueprints.web import ActionForm, perform, role_required, show_errors
from extensions import db
from i18n import major_units, minor_units
from services import bafo, bidding, invitations, permissions
from services.bidding import BidInput, MilestoneInput
from services.errors import DomainError
from services.markdown import render as render_markdown
from services.tenders import get_tender

bp = Blueprint("bids", __name__)


def _money(field, currency: str) -> tuple[bool, int | None]:
    """(ok, minor units or None when empty); not ok (with a message) beyond two decimal places."""
    if field.data is None:
        return True, None
    value = minor_units(field.data, currency)
    if value is None:
        field.errors.append(_("Use at most two decimal places."))
    return value is not None, value


def _bid_input(form: BidForm, currency: str) -> BidInput | None:
    """The form as a BidInput in minor units; None (with messages on the form) if an amount is off."""
    (ok, amount), (ok_price, unit_price), (ok_cap, cap) = (
        _money(f, currency) for f in (form.amount, form.unit_price, form.cap_per_period))
    if not (ok and ok_price and ok_cap):
        return None
    plan = []
    for entry in form.milestones:
        step = entry.form
        if not (step.title.data or "").strip() and step.amount.data is None:
            continue  # an empty row
        step_amount = minor_units(step.amount.data or 0, currency)
        if step_amount is None:
            step.amount.errors.append(_("Use at most two decimal places."))
            form.milestones.errors.append(_("A milestone amount has more than two decimal places."))
            return None
        if step.due_days.data is None:
            form.milestones.errors.append(_("Give every milestone a title, an amount and a due day."))
            return None
        plan.append(MilestoneInput(title=step.title.data or "", amount=step_amount, due_days=step.due_days.data))
    return BidInput(amount=amount, currency=currency, delivery_days=form.delivery_days.data,
                    proposal=form.proposal.data or "", milestones=plan, unit_price=unit_price, cap_per_period=cap)


def _prefill(bid) -> BidForm:
    form = BidForm(amount=major_units(bid.amount, bid.currency), delivery_days=bid.delivery_days,
                   proposal=bid.proposal,
                   unit_price=major_units(bid.unit_price, bid.currency) if bid.unit_price else None,
                   cap_per_period=major_units(bid.cap_per_period, bid.currency) if bid.cap_per_period else None)
    while len(form.milestones):
        form.milestones.pop_entry()
    for step in bid.milestones:
        form.milestones.append_entry({"title": step.title, "amount": major_units(step.amount, bid.currency),
                                      "due_days": step.due_days})
    if len(form.milestones) < MAX_ROWS:
        form.milestones.append_entry()  # room for one more step without asking
    return form


MAX_ROWS = BidForm.milestones.kwargs["max_entries"]


@bp.route("/tenders/<int:tender_id>/bid", methods=["GET", "POST"])
@role_required("provider")
def bid_form(tender_id: int):
    """Submit a bid, or revise the live one: price, delivery, proposal, milestone plan, files."""
    tender = get_tender(tender_id, viewer=current_user)
    existing = bidding.live_bid_of(current_user, tender.id)
    problem = None if existing else bidding.eligibility_problem(current_user, tender)
    if problem is not None:
        flash(str(problem.message), "error")
        return redirect(url_for("tenders.detail", tender_id=tender.id))
    form = BidForm() if request.method == "POST" or existing is None else _prefill(existing)
    if request.method == "POST" and "more_rows" in request.form:  # "Add a milestone row": nothing is saved yet
        if len(form.milestones) < MAX_ROWS:
            form.milestones.append_entry()
        return _form_page(form, tender, existing, 200)
    if form.validate_on_submit() and (data := _bid_input(form, tender.currency)) is not None:
        try:
            bid = (bidding.revise_bid(current_user, existing.id, data) if existing
                   else bidding.submit_bid(current_user, tender.id, data))
            for upload in form.files.data or []:
                if upload and upload.filename:
                    bidding.attach_file(current_user, bid.id, upload.stream, upload.filename)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc, aliases={"file": "files"})
        else:
            message = _("Your bid is revised.") if existing else \
                _("Your bid is in. You can revise it until bidding closes.")
            flash(message, "success")
            return redirect(url_for("bids.detail", bid_id=bid.id))
    return _form_page(form, tender, existing, 422 if form.is_submitted() else 200)


def _form_page(form: BidForm, tender, existing, status: int):
    """The bid form. A browser never sends chosen files again: when a refused or extended form comes back,
    it says which attachments were not saved, so they are chosen again rather than silently lost."""
    dropped = [f.filename for f in (form.files.data or []) if f and getattr(f, "filename", None)] \
        if request.method == "POST" else []
    return render_template("bids/form.html", form=form, tender=tender, existing=existing, dropped_files=dropped,
                           can_add_row=len(form.milestones) < MAX_ROWS), status


@bp.route("/bids/<int:bid_id>/final-offer", methods=["GET", "POST"])
@role_required("provider")
def final_offer(bid_id: int):
    """A best and final offer: the bid form, prefilled with the offer in force, under the round's ceiling."""
    bid = bidding.own_bid(current_user, bid_id)
    if not bafo.may_offer(bid):
        flash(_("This bid is not invited to a final offer now."), "error")
        return redirect(url_for("bids.detail", bid_id=bid.id))
    form = BidForm() if request.method == "POST" else _prefill(bid)
    if form.validate_on_submit() and (data := _bid_input(form, bid.currency)) is not None:
        try:
            bafo.submit_final_offer(current_user, bid.id, data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            flash(_("Your final offer is in. It opens to the brand when the round closes."), "success")
            return redirect(url_for("bids.detail", bid_id=bid.id))
    return render_template("bids/form.html", form=form, tender=bid.tender, existing=bid, final=bafo.ceiling(bid),
                           closes_at=bid.bafo_round.closes_at), 422 if form.is_submitted() else 200


@bp.post("/bids/<int:bid_id>/withdraw")
@role_required("provider")
def withdraw(bid_id: int):
    if ActionForm().validate_on_submit():
        perform(lambda: bidding.withdraw_bid(current_user, bid_id), success=_("Your bid is withdrawn."))
    return redirect(url_for("bids.detail", bid_id=bid_id))


@bp.get("/bids/<int:bid_id>")
@login_required
def detail(bid_id: int):
    """One bid: its proposal, plan, files, history, and (for the brand) the scores."""
    bid = bidding.open_bid(current_user, bid_id)
    contents = bidding.can_see_contents(current_user, bid)
    db.session.commit()  # a read that writes: the brand's opening is recorded
    mine = current_user.account_id == bid.provider_id
    return render_template("bids/detail.html", bid=bid, contents=contents, action_form=ActionForm(),
                           price=bidding.can_see_price(current_user, bid),
                           final_offer=bafo.ceiling(bid) if mine and bafo.may_offer(bid) else None,
                           actions=bidding.allowed_actions(bid, current_user),
                           proposal_html=render_markdown(bid.proposal) if contents else None,
                           blind=permissions.blind_to(current_user, bid.tender),
                           is_brand=current_user.account_id == bid.tender.brand_id or current_user.is_admin)


@bp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>")
@login_required
def attachment(bid_id: int, attachment_id: int):
    attachment_row = bidding.attachment_for(current_user, bid_id, attachment_id)
    db.session.commit()  # a read that writes: the brand's download is recorded
    return send_attachment(attachment_row)


@bp.get("/bids/<int:bid_id>/attachments/<int:attachment_id>/<variant>")
@login_required
def attachment_variant(bid_id: int, attachment_id: int, variant: str):
    attachment_row = bidding.attachment_for(current_user, bid_id, attachment_id)
    db.session.commit()  # seeing it is opening it: recorded as the download is
    return send_variant(attachment_row, variant)


@bp.get("/bids/mine")
@role_required("provider")
def mine():
    """The provider's bids, newest first, 20 a page (?status= narrows them), and the tenders it is invited to."""
    status = request.args.get("status") or None
    page = bidding.bids_of_provider(current_user, status=status,
                                    page=max(request.args.get("page", 1, type=int) or 1, 1))
    return render_template("bids/mine.html", page=page, status=status,
                           args={"status": status} if status else {},
                           invitations=invitations.invitations_of(current_user))


@bp.errorhandler(FileNotFoundError)
def missing_file(_exc):
    abort(404)


PREVIEW_MAX = 50000  # the proposal's own limit (BidForm.proposal)


@bp.post("/bids/preview")
@login_required
def preview():
    """The proposal as it will be shown (rendered and sanitised by services.markdown, never in the browser),
    for static/js/markdown-preview.js. A POST with the form's CSRF token, like the form it previews."""
    text = request.form.get("text", "")
    if len(text) > PREVIEW_MAX:
        return {"error": {"code": "too_long", "message": _("At most %(n)d characters.", n=PREVIEW_MAX)}}, 422
    response = make_response(str(render_markdown(text)))
    response.headers["Cache-Control"] = "no-store"
    return response
