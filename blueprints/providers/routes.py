"""The provider directory and public provider pages (with "why you have N stars")."""
from flask import Blueprint, redirect, render_template, request, url_for

from blueprints.downloads import send_public_picture
from blueprints.providers.forms import DirectoryForm
from blueprints.web import filter_args
from services import directory, margins, profiles, ratings, reviews
from texts import rating_text

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.get("/<int:provider_id>/cases/<int:case_id>/<variant>")
def case_image(provider_id: int, case_id: int, variant: str):
    """A portfolio case's picture: `thumb` (320 px) or `view` (1200 px), public like the profile."""
    case = next((c for c in profiles.get_provider(provider_id).cases if c.id == case_id), None)
    return send_public_picture(case.image_name if case else None, variant)
PER_PAGE = 20


@bp.get("")
def index():
    """Providers by category, region, stars and verification, best first."""
    form = DirectoryForm(request.args)
    page = None
    args = filter_args(*(name for name in form.data if name != "page"))
    valid = form.validate()
    if not valid and set(form.errors) == {"page"}:  # a page number no link of ours makes: the first page
        return redirect(url_for("providers.index", **args))
    if valid:
        min_stars = int(form.min_stars.data) if form.min_stars.data else None
        page = directory.search(category=form.category.data or None, province=form.province.data or None,
                                city=form.city.data or None, min_stars=min_stars,
                                verified=True if form.verified.data else None, q=form.q.data or None,
                                page=form.page.data or 1,
                                per_page=PER_PAGE)
        # past the end (a stale link, fewer results now): the last page — known only when the count is exact
        if page.page > page.pages and not page.total_is_estimate:
            return redirect(url_for("providers.index", page=page.pages, **args))
    badges = directory.badges_of([p.user_id for p in page.items], directory.current_periods()) if page else {}
    return render_template("providers/index.html", form=form, page=page, badges=badges, args=args)


@bp.get("/<int:provider_id>")
def detail(provider_id: int):
    """A provider's public profile: services, verification, showcase, stars and why, reviews."""
    profile = profiles.get_provider(provider_id)
    rating = directory.latest_ratings([provider_id]).get(provider_id)
    rated = profile.stars is not None and rating is not None
    trend = directory.history(provider_id, 12) if rated else []
    return render_template(
        "providers/detail.html", profile=profile, rating=rating, dimensions=rating_text.DIMENSIONS,
        completed=rating.inputs.get("completed_contracts", 0) if rating else 0,
        needed=ratings.MIN_COMPLETED_CONTRACTS,
        figures=rating_text.figures(rating.inputs) if rated else {},
        next_level=rating_text.next_level(profile.stars, rating.score) if rated else None,
        trend=trend, trend_chart=directory.score_chart(trend),
        badges=directory.badges_of([provider_id])[provider_id],
        reviews=reviews.public_reviews_of(provider_id, 20), margin=margins.held(provider_id),
        margin_currency=margins.MARGIN_CURRENCY)
