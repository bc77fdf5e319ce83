"""Public provider pages."""
from flask import Blueprint, render_template

from services import profiles

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.get("/<int:provider_id>")
def detail(provider_id: int):
    """A provider's public profile: services, region, verification and showcase cases."""
    return render_template("providers/detail.html", profile=profiles.get_provider(provider_id))
