"""Tender pages: the public list with search, posting a tender, its page, closing and cancelling."""
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.tenders.forms import (
    AddendumForm,
    AnswerForm,
    CancelForm,
    CorrectionForm,
    InviteForm,
    QuestionForm,
    TenderFilterForm,
    TenderForm,
)
from blueprints.web import ActionForm, filter_args, perform, role_required
from i18n import minor_units
from i18n.labels import ROUND_LABELS, options
from services import addenda, bidding, contracts, directory, invitations, market, profiles, questions, tenders
from services.criteria import CriterionInput
from services.errors import Invalid
from services.pagination import Page
from services.tenders import KpiInput, TenderFilters, TenderInput
from texts import brand_score_text, rating_text

bp = Blueprint("tenders", __name__, url_prefix="/tenders")
PER_PAGE = 20


@bp.get("")
def index():
    """Public tenders: search words, category, status, budget; 20 a page."""
    form = TenderFilterForm(request.args)
    if request.args and not form.validate():
        page = Page(items=[], page=1, per_page=PER_PAGE, total=0)
    else:
        to_fen = 100  # the filter is typed in yuan
        filters = TenderFilters(
            q=form.q.data or None, category=form.category.data or None,
            status=form.status.data if "status" in request.args else form.status.default,
            budget_min=form.budget_min.data * to_fen if form.budget_min.data is not None else None,
            budget_max=form.budget_max.data * to_fen if form.budget_max.data is not None else None,
            min_brand_score=form.min_brand_score.data, sort=form.sort.data or "newest",
        )
        try:  # deep pages by cursor ("Next" links carry one), else by number
            page = tenders.search_tenders(filters, form.page.data or 1, PER_PAGE, cursor=form.cursor.data or None)
        except Invalid:  # a cursor this list did not give out (edited, or from another search): from the start
            page = tenders.search_tenders(filters, 1, PER_PAGE)
    args = filter_args(*(name for name in form.data if name not in ("page", "cursor")))
    return render_template("tenders/index.html", form=form, page=page, args=args)


@bp.get("/mine")
@role_required("brand")
def mine():
    """The brand's own tenders, every status."""
    page = tenders.search_tenders(TenderFilters(brand_id=current_user.account_id, include_unlisted=True),
                                  request.args.get("page", 1, type=int) or 1, PER_PAGE)
    return render_template("tenders/mine.html", page=page, args={})


def _input_from(form: TenderForm) -> TenderInput | None:
    """The form's values as a TenderInput, amounts in minor units and the deadline in UTC."""
    currency = form.currency.data
    budget_min, budget_max = minor_units(form.budget_min.data, currency), minor_units(form.budget_max.data, currency)
    if budget_min is None or budget_max is None:
        (form.budget_min if budget_min is None else form.budget_max).errors.append(
            _("Use at most two decimal places."))
        return None
    deadline = form.bid_deadline.data.replace(tzinfo=ZoneInfo(current_user.timezone))
    kpis = [KpiInput(name=k.form.name.data, target=k.form.target.data, unit=k.form.unit.data or "",
                     direction=k.form.direction.data or "at_least", bonus_bps=_bps(k.form.bonus_pct.data),
                     penalty_bps=_bps(k.form.penalty_pct.data))
            for k in form.kpis if (k.form.name.data or "").strip()]
    if any(k.target is None for k in kpis):
        form.kpis.errors.append(_("Give every named KPI a target."))
        return None
    criteria = _criteria_from(form.criteria.data or "")
    if criteria is None:
        form.criteria.errors.append(_("Write each line as: round | criterion | weight (or deal-breaker)."))
        return None
    return TenderInput(title=form.title.data, category=form.category.data, description=form.description.data,
                       budget_min=budget_min, budget_max=budget_max, currency=currency, bid_deadline=deadline,
                       sealed=form.sealed.data, rounds=form.rounds.data or [], kpis=kpis,
                       sealed_opening=form.sealed_opening.data, invited_only=form.invited_only.data,
                       requires_verified=form.requires_verified.data,
                       min_stars=int(form.min_stars.data) if form.min_stars.data else None,
                       criteria=criteria, blind_grading=form.blind_grading.data,
                       two_envelope=form.two_envelope.data,
                       engagement=form.engagement.data or "fixed", period_days=form.period_days.data,
                       periods=form.periods.data, unit=form.unit.data)


def _bps(percent) -> int:
    """A percentage typed on the form (2.5) in basis points (250); empty is 0."""
    return int(percent * 100) if percent is not None else 0


def _criteria_from(text: str) -> dict[str, list[CriterionInput]] | None:
    """The scorecard lines `round | criterion | weight or deal-breaker` by round; None when a line is
    not in that shape (the weights' rules are the service's)."""
    out: dict[str, list[CriterionInput]] = {}
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            return None
        kind, name, weight = parts
        kind = next((k for k, label in ROUND_LABELS.items() if kind in (k, str(label))), kind)
        if weight.lower() in ("deal-breaker", str(_("deal-breaker"))):
            out.setdefault(kind, []).append(CriterionInput(name=name, deal_breaker=True))
        elif weight.isdigit():
            out.setdefault(kind, []).append(CriterionInput(name=name, weight=int(weight)))
        else:
            return None
    return out


@bp.route("/new", methods=["GET", "POST"])
@role_required("brand")
def new():
    """Post a tender."""
    form = TenderForm()
    if form.validate_on_submit() and (data := _input_from(form)) is not None:
        tender = perform(lambda: tenders.create_tender(current_user, data), form=form)
        if tender:
            flash(_("Your tender is published. Providers can bid until the deadline."), "success")
            return redirect(url_for("tenders.detail", tender_id=tender.id))
    return render_template("tenders/new.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/<int:tender_id>")
def detail(tender_id: int):
    """The tender, its Q&A and addenda; the provider's own bid and next step; the brand's tools."""
    viewer = current_user if current_user.is_authenticated else None
    tender, counts = tenders.tender_for_display(tender_id, viewer)
    is_owner = viewer is not None and viewer.account_id == tender.brand_id
    my_bid = bidding.live_bid_of(viewer, tender.id) if viewer and viewer.is_provider else None
    my_bids = [b for b in tender.bids if b.provider_id == viewer.account_id] if viewer is not None else []
    context = {
        "tender": tender, "is_owner": is_owner, "my_bid": my_bid, "my_bids": my_bids,
        "won": contracts.won_by(viewer, tender.id),
        "actions": tenders.allowed_actions(tender, viewer),
        "bid_problem": bidding.eligibility_problem(viewer, tender) if viewer and viewer.is_provider else None,
        "bid_count": bidding.visible_bid_count(tender, viewer, counts),
        "questions": questions.visible_questions(viewer, tender.id),
        "brand_headline": brand_score_text.headline(tender.brand.brand_profile),
    }
    if viewer is not None:  # a visitor is offered no form here (asking, answering, amending need an account)
        context |= {"action_form": ActionForm(), "cancel_form": CancelForm(), "question_form": QuestionForm(),
                    "answer_form": AnswerForm(), "addendum_form": AddendumForm()}
    if is_owner:
        form = InviteForm()
        form.provider_ids.choices = invite_choices(tender)
        context["invite_form"] = form
        context["recommended"] = directory.recommended_for(viewer, tender)
        context["suited_levels"] = rating_text.star_levels(directory.suited_levels(viewer))
        context["comparison"] = market.compare(viewer, tender.id)
        context["min_contracts"] = market.MIN_CONTRACTS
    return render_template("tenders/detail.html", **context)


def invite_choices(tender) -> list:
    """Providers in the tender's category who are not yet invited, verified ones first."""
    invited = {inv.provider_id for inv in tender.invitations}
    return options((p.user_id, f"{p.company_name}{' ✓' if p.verified else ''}")
                   for p in profiles.providers_in(tender.category) if p.user_id not in invited)


@bp.post("/<int:tender_id>/questions")
@role_required("provider")
def ask(tender_id: int):
    form = QuestionForm()
    if form.validate_on_submit():
        perform(lambda: questions.ask(current_user, tender_id, form.question.data),
                success=_("Question sent. The answer will appear here for every bidder."))
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#questions")


@bp.post("/questions/<int:question_id>/answer")
@role_required("brand")
def answer(question_id: int):
    form = AnswerForm()
    answered = form.validate_on_submit() and perform(
        lambda: questions.answer(current_user, question_id, form.answer.data),
        success=_("Answer published to every bidder."))
    target = answered.tender_id if answered else questions.tender_id_of(question_id)
    return redirect(url_for("tenders.detail", tender_id=target) + "#questions")


@bp.post("/<int:tender_id>/addenda")
@role_required("brand")
def addendum(tender_id: int):
    form = AddendumForm()
    if form.validate_on_submit():
        deadline = form.bid_deadline.data.replace(tzinfo=ZoneInfo(current_user.timezone)) \
            if form.bid_deadline.data else None
        perform(lambda: addenda.publish(current_user, tender_id, form.body.data, deadline),
                success=_("Addendum published; every bidder is told."))
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#addenda")


@bp.route("/<int:tender_id>/correct", methods=["GET", "POST"])
@role_required("brand")
def correct(tender_id: int):
    """Correct the description while nobody has bid (afterwards the page offers an addendum instead)."""
    tender = tenders.owned_tender(current_user, tender_id)
    form = CorrectionForm() if request.method == "POST" else CorrectionForm(description=tender.description)
    if form.validate_on_submit() and perform(lambda: addenda.correct(current_user, tender_id, form.description.data),
                                             form=form, success=_("The tender is corrected.")):
        return redirect(url_for("tenders.detail", tender_id=tender_id))
    return render_template("tenders/correct.html", tender=tender, form=form), 422 if form.is_submitted() else 200


@bp.post("/<int:tender_id>/invitations")
@role_required("brand")
def invite(tender_id: int):
    form = InviteForm()
    tender = tenders.get_tender(tender_id, viewer=current_user)
    if form.validate_on_submit() and len(directory.invitable(tender, form.provider_ids.data)) \
            == len(set(form.provider_ids.data)):
        perform(lambda: invitations.invite(current_user, tender_id, form.provider_ids.data),
                success=_("Invitations sent."))
    else:
        flash(_("Choose at least one provider to invite."), "error")
    return redirect(url_for("tenders.detail", tender_id=tender_id) + "#invite")


@bp.post("/<int:tender_id>/close")
@role_required("brand")
def close(tender_id: int):
    if ActionForm().validate_on_submit():
        perform(lambda: tenders.close_tender(current_user, tender_id),
                success=_("Bidding is closed; evaluation can start."))
    return redirect(url_for("tenders.detail", tender_id=tender_id))


@bp.post("/<int:tender_id>/cancel")
@role_required("brand")
def cancel(tender_id: int):
    form = CancelForm()
    if form.validate_on_submit():
        perform(lambda: tenders.cancel_tender(current_user, tender_id, form.reason.data or ""),
                success=_("The tender is cancelled."))
    return redirect(url_for("tenders.detail", tender_id=tender_id))
