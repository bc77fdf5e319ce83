"""The provider directory and public provider pages (with "why you have N stars")."""
from flask import Blueprint, render_template, request

from blueprints.providers.forms import DirectoryForm
from i18n.rating_text import DIMENSIONS
from services import directory, profiles, reviews

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.get("")
def index():
    """Providers by category, region, stars and verification, best first."""
    form = DirectoryForm(request.args)
    page = None
    if form.validate():
        min_stars = int(form.min_stars.data) if form.min_stars.data else None
        page = directory.search(category=form.category.data or None, province=form.province.data or None,
                                city=form.city.data or None, min_stars=min_stars,
                                verified=True if form.verified.data else None, page=form.page.data or 1, per_page=20)
    badges = directory.badges_of([p.user_id for p in page.items]) if page else {}
    return render_template("providers/index.html", form=form, page=page, badges=badges,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/<int:provider_id>")
def detail(provider_id: int):
    """A provider's public profile: services, verification, showcase, stars and why, reviews."""
    profile = profiles.get_provider(provider_id)
    rating = directory.latest_ratings([provider_id]).get(provider_id)
    return render_template("providers/detail.html", profile=profile, rating=rating, dimensions=DIMENSIONS,
                           trend=directory.history(provider_id, 12),
                           badges=directory.badges_of([provider_id])[provider_id],
                           reviews=reviews.public_reviews_of(provider_id, 20))
