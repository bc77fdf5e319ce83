"""The notification centre."""
from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.links import notification_link
from blueprints.web import ActionForm
from extensions import db
from services import notifications
from texts.notifications import about_label, render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    page = notifications.list_for(current_user, unread_only=request.args.get("unread") == "1",
                                  page=max(request.args.get("page", 1, type=int) or 1, 1), per_page=20)
    return render_template("notifications/index.html", page=page, render=render, action_form=ActionForm(),
                           args={"unread": request.args.get("unread", "")})


@bp.get("/latest")
@login_required
def latest():
    """The bell's dropdown (fetched by static/js/bell.js; without JS the bell is a link to the list)."""
    response = make_response(render_template("notifications/_latest.html", groups=notifications.latest_grouped(
        current_user), render=render, about_label=about_label, action_form=ActionForm(),
        unread=notifications.unread_count(current_user)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark read and go where the notification points."""
    row = notifications.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(notification_link(row) or url_for("main.index"))


@bp.post("/read-all")
@login_required
def read_all():
    if ActionForm().validate_on_submit():
        notifications.mark_all_read(current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))
