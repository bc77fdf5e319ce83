"""A brand's public page: its score, what it is made of and providers' reviews, for providers deciding
whether to bid."""
from flask import Blueprint, render_template

from services import profiles, reviews
from texts import brand_score_text

bp = Blueprint("brands", __name__, url_prefix="/brands")


@bp.get("/<int:brand_id>")
def detail(brand_id: int):
    profile = profiles.get_brand(brand_id)
    return render_template("brands/detail.html", profile=profile, headline=brand_score_text.headline(profile),
                           breakdown=brand_score_text.breakdown(profile), summary=brand_score_text.summary(),
                           reviews=reviews.public_reviews_of(brand_id, 20, by="provider"))
