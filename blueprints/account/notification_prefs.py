"""/account/notifications: how each kind of notice reaches the reader (in the app, e-mail, digest)."""
from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.account.routes import bp
from blueprints.web import ActionForm, perform
from i18n.labels import DELIVERY_LABELS, NOTIFICATION_KIND_LABELS
from services import notification_prefs


def _page(chosen: dict[str, str], form: ActionForm, status: int = 200):
    return render_template("account/notification_preferences.html", chosen=chosen, form=form,
                           kind_labels=NOTIFICATION_KIND_LABELS, delivery_labels=DELIVERY_LABELS,
                           digest_hour=current_app.config["DIGEST_HOUR"]), status


@bp.get("/notifications")
@login_required
def notification_preferences():
    return _page(notification_prefs.preferences(current_user), ActionForm())


@bp.post("/notifications")
@login_required
def save_notification_preferences():
    form = ActionForm()
    changes = {kind: request.form.get(f"kind-{kind}") for kind in notification_prefs.KINDS
               if f"kind-{kind}" in request.form}
    if form.validate_on_submit() and perform(lambda: notification_prefs.update(current_user, changes),
                                             success=_("Notification preferences saved.")):
        return redirect(url_for("account.notification_preferences"))
    # what was chosen stays chosen on the page that says what was wrong
    return _page({**notification_prefs.preferences(current_user), **changes}, form, 422)
