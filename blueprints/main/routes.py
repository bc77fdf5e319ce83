"""The home page and the language switch."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from extensions import db
from services import tenders
from services.tenders import TenderFilters

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """What Witkey is, with the newest open tenders."""
    latest = tenders.search_tenders(TenderFilters(status="open"), 1, 6)
    return render_template("main/index.html", latest=latest.items)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language (kept on the account when logged in, else for the session)."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    referrer = request.referrer or ""
    return redirect(referrer if referrer.startswith(request.host_url) else url_for("main.index"))
