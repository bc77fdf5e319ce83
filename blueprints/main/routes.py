"""The home page and the language switch."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from blueprints.downloads import send_public_picture
from blueprints.todo_links import todo_url
from blueprints.web import local_path, unread_messages
from extensions import db
from models import User
from services import tenders, todo
from services.tenders import TenderFilters

bp = Blueprint("main", __name__)


@bp.get("/avatars/<int:account_id>")
def avatar(account_id: int):
    """An account's avatar (provider) or logo (brand), 320 px: public, as profiles and the tender hall are."""
    user = db.session.get(User, account_id)
    return send_public_picture(user.avatar_name if user else None, "thumb")


@bp.get("/")
def index():
    """Signed in: what needs me now (the landing page after sign-in). Visitors: what Witkey is, with the
    newest open tenders."""
    if current_user.is_authenticated:
        return render_template("main/home.html", items=todo.for_user(current_user, unread_messages(current_user)),
                               todo_url=todo_url)
    latest = tenders.search_tenders(TenderFilters(status="open"), 1, 6)
    return render_template("main/index.html", latest=latest.items)


@bp.post("/lang/<code>")
def set_language(code: str):
    """Switch the interface language (kept on the account when logged in, else for the session).

    A POST with the CSRF token (the header's form), so no link or image elsewhere can change it; back to
    the page it was sent from (`next`, a path on this site), never to a host read from the request."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(local_path(request.form.get("next"), url_for("main.index")))
