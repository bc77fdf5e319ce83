"""Tender pages: the public list with search, posting a tender, its page, closing and cancelling."""
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.tenders.forms import CancelForm, TenderFilterForm, TenderForm
from blueprints.web import ActionForm, perform, role_required
from i18n import minor_units
from services import tenders
from services.pagination import Page
from services.tenders import KpiInput, TenderFilters, TenderInput

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
        )
        page = tenders.search_tenders(filters, form.page.data or 1, PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("tenders/index.html", form=form, page=page, args=args)


@bp.get("/mine")
@role_required("brand")
def mine():
    """The brand's own tenders, every status."""
    page = tenders.search_tenders(TenderFilters(brand_id=current_user.id),
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
    kpis = [KpiInput(name=k.form.name.data, target=k.form.target.data, unit=k.form.unit.data or "")
            for k in form.kpis if (k.form.name.data or "").strip()]
    if any(k.target is None for k in kpis):
        form.kpis.errors.append(_("Give every named KPI a target."))
        return None
    return TenderInput(title=form.title.data, category=form.category.data, description=form.description.data,
                       budget_min=budget_min, budget_max=budget_max, currency=currency, bid_deadline=deadline,
                       sealed=form.sealed.data, rounds=form.rounds.data or [], kpis=kpis)


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
    tender = tenders.get_tender(tender_id)
    is_owner = current_user.is_authenticated and current_user.id == tender.brand_id
    return render_template("tenders/detail.html", tender=tender, is_owner=is_owner,
                           action_form=ActionForm(), cancel_form=CancelForm())


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
