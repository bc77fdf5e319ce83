"""The notification centre."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.web import ActionForm
from extensions import db
from services import notifications
from texts.notifications import render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    page = notifications.list_for(current_user, unread_only=request.args.get("unread") == "1",
                                  page=max(request.args.get("page", 1, type=int) or 1, 1), per_page=20)
    return render_template("notifications/index.html", page=page, render=render, action_form=ActionForm(),
                           args={"unread": request.args.get("unread", "")})


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark read and go where the notification points."""
    row = notifications.mark_read(current_user, notification_id)
    db.session.commit()
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else url_for("main.index")
    return redirect(target)


@bp.post("/read-all")
@login_required
def read_all():
    if ActionForm().validate_on_submit():
        notifications.mark_all_read(current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))
